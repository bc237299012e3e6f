package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// GemmSparseRows on lists made by Compress gives GemmSparseA's bits, every
// element of C (padding included), for sizes around the vector (16), the
// column block (64) and the depth block (128), with ±0 and NaN in A, NaN in
// B's padding (never read) and in C when beta is 0 (never read); the lists
// are reused for a second matrix of the same size, as a plan reuses them
// batch after batch.
func TestGemmSparseRowsSameBits(t *testing.T) {
	if !useSparse {
		t.Skip("no AVX-512 sparse kernels on this CPU")
	}
	r := rand.New(rand.NewPCG(61, 62))
	for _, m := range []int{1, 3, 31, 32, 100} {
		for _, k := range []int{1, 15, 16, 17, 100, 128, 129, 300} {
			for _, n := range []int{1, 16, 50, 64, 65, 130} {
				lda, ldb, ldc := k+3, n+2, n+5
				s := NewSparseRows(m, k)
				for round := range 2 {
					a := sparseMatrix(r, m, k, lda)
					for i := range a {
						switch r.IntN(50) {
						case 0:
							a[i] = float32(math.Copysign(0, -1))
						case 1:
							a[i] = float32(math.NaN())
						}
					}
					b := randSlice(r, k*ldb)
					for i := range b {
						if i%ldb >= n {
							b[i] = float32(math.NaN())
						}
					}
					c0 := randSlice(r, m*ldc)
					s.Compress(a, lda)
					for _, beta := range []float32{0, 1, 0.5} {
						want, got := clone(c0), clone(c0)
						if beta == 0 {
							for i := range want {
								if i%ldc < n {
									want[i], got[i] = float32(math.NaN()), float32(math.NaN())
								}
							}
						}
						GemmSparseA(m, n, k, a, lda, b, ldb, beta, want, ldc, make([]float32, SparseWorkLen(m, k, false)))
						GemmSparseRows(s, n, b, ldb, beta, got, ldc, make([]float32, SparseWorkLen(m, k, false)))
						for i := range want {
							if !sameBits(got[i], want[i]) {
								t.Fatalf("m=%d k=%d n=%d round %d beta=%v: C[%d,%d] = %v (%#x), GemmSparseA gives %v (%#x)",
									m, k, n, round, beta, i/ldc, i%ldc, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
							}
						}
					}
				}
			}
		}
	}
}
