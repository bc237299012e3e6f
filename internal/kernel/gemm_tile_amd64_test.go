//go:build amd64 && !purego

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmTileContiguous holds the 32-column tile's two fast loops (every
// column, and A's rows contiguous, csa = 1, or its columns, rsa = 1) to its
// general loop, which the same A laid out with both strides above 1 takes:
// the sums are added in the same order, so every bit must agree; and all
// to the float64 sums within the rounding of k additions. The depths cover the loop's pairs with and
// without the odd last step, and a single step; C is scaled (alpha) and
// added into (beta) as well as overwritten, NaN in C ignored then.
func TestGemmTileContiguous(t *testing.T) {
	if !thisCPU.avx512 {
		t.Skip("no AVX-512 here")
	}
	r := rand.New(rand.NewPCG(43, 44))
	const ldb, ldc = 32 + 5, 32 + 3
	for rows := 1; rows <= 14; rows++ {
		for _, k := range []int{1, 2, 3, 4, 17, 64, 65} {
			for _, beta := range []float32{0, 0.5} {
				name := fmt.Sprintf("rows=%d/k=%d/beta=%g", rows, k, beta)
				rsa := k + 3
				a := randSlice(r, rows*rsa)
				// A transposed, A(i, p) at p·rows + i, and spread out,
				// at 2i + p·(2·rows+1).
				at, as := make([]float32, k*rows), make([]float32, k*(2*rows+1))
				for i := 0; i < rows; i++ {
					for p := 0; p < k; p++ {
						at[p*rows+i] = a[i*rsa+p]
						as[2*i+p*(2*rows+1)] = a[i*rsa+p]
					}
				}
				b := randSlice(r, k*ldb)
				c0 := randSlice(r, rows*ldc)
				if beta == 0 {
					for i := range c0 {
						c0[i] = float32(math.NaN())
					}
				}
				fast, cols, general := append([]float32(nil), c0...), append([]float32(nil), c0...), append([]float32(nil), c0...)
				gemmTileAVX512x32(k, &a[0], rsa, 1, &b[0], ldb, &fast[0], ldc, 1.5, beta, rows, ^uint32(0))
				gemmTileAVX512x32(k, &at[0], 1, rows, &b[0], ldb, &cols[0], ldc, 1.5, beta, rows, ^uint32(0))
				gemmTileAVX512x32(k, &as[0], 2, 2*rows+1, &b[0], ldb, &general[0], ldc, 1.5, beta, rows, ^uint32(0))
				for i := 0; i < rows; i++ {
					for j := 0; j < ldc; j++ {
						got := fast[i*ldc+j]
						if j >= 32 {
							if math.Float32bits(got) != math.Float32bits(c0[i*ldc+j]) {
								t.Fatalf("%s: C[%d,%d] outside the tile changed", name, i, j)
							}
							continue
						}
						if math.Float32bits(got) != math.Float32bits(general[i*ldc+j]) || math.Float32bits(cols[i*ldc+j]) != math.Float32bits(general[i*ldc+j]) {
							t.Fatalf("%s: C[%d,%d] = %g on the rows loop, %g on the columns loop, %g on the general one", name, i, j, got, cols[i*ldc+j], general[i*ldc+j])
						}
						var s, mag float64
						for p := 0; p < k; p++ {
							v := float64(a[i*rsa+p]) * float64(b[p*ldb+j])
							s, mag = s+v, mag+math.Abs(v)
						}
						want := 1.5 * s
						if beta != 0 {
							want += float64(beta) * float64(c0[i*ldc+j])
						}
						if d := math.Abs(float64(got) - want); d > 1e-6*float64(k+2)*(1.5*mag+1) {
							t.Fatalf("%s: C[%d,%d] = %g, want %g", name, i, j, got, want)
						}
					}
				}
			}
		}
	}
}
