package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmSparseATSetsAsAddIntoZeros holds GemmSparseAT with beta 0, on a C
// full of NaN, to GemmSparseATAdd into zeros bit for bit, with the
// assembly and with the pure-Go loop, on an A of mostly ±0 (whole columns
// of it zero, whose sums are +0 whatever the signs) and a B with -0s.
func TestGemmSparseATSetsAsAddIntoZeros(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sparse := range []bool{false, useSparse} {
		saved := useSparse
		useSparse = sparse
		for _, s := range [][3]int{{1, 1, 1}, {7, 10, 50}, {100, 50, 784}, {130, 70, 33}} {
			m, n, k := s[0], s[1], s[2]
			a, b := make([]float32, m*k), make([]float32, m*n)
			for i := range a {
				switch {
				case i%k < k/3: // a column of zeros and negative zeros
					a[i] = float32(math.Copysign(0, rng.NormFloat64()))
				case rng.IntN(5) == 0:
					a[i] = float32(rng.NormFloat64())
				}
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
				if rng.IntN(4) == 0 {
					b[i] = float32(math.Copysign(0, -1))
				}
			}
			want, got := make([]float32, k*n), make([]float32, k*n)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			work := make([]float32, SparseWorkLen(m, k, true))
			GemmSparseATAdd(m, n, k, a, k, b, n, want, n, work)
			GemmSparseAT(m, n, k, a, k, b, n, 0, got, n, work)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("sparse %v, %dx%dx%d: C[%d] = %v (bits %08x), want %v (bits %08x)", sparse, m, n, k, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
		useSparse = saved
	}
}
