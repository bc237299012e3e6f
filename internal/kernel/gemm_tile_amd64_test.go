//go:build amd64 && !purego

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// fastTileCase is a tile with fast loops for full tiles: call computes
// rows × cols of C with every column wanted.
type fastTileCase struct {
	name       string
	ok         bool
	rows, cols int
	call       func(k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows int)
}

var fastTileCases = []fastTileCase{
	{"avx512x32", thisCPU.avx512, 14, 32, func(k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows int) {
		gemmTileAVX512x32(k, &a[0], rsa, csa, &b[0], ldb, &c[0], ldc, alpha, beta, rows, ^uint32(0))
	}},
	{"avx2x16", cpu.X86.HasAVX2 && cpu.X86.HasFMA, 6, 16, func(k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows int) {
		gemmTileAVX2x16(k, &a[0], rsa, csa, &b[0], ldb, &c[0], ldc, alpha, beta, rows, &avx2Masks[0])
	}},
}

// TestGemmTileContiguous holds the fast loops of full tiles (every column
// wanted, and A's rows contiguous, csa = 1, or its columns, rsa = 1) to
// the general loop, which the same A laid out with
// both strides above 1 takes: the sums are added in the same order, so
// every bit must agree; and all to the float64 sums within the rounding of
// k additions. The depths cover the loops' pairs with and without the odd
// last step, and a single step; C is scaled (alpha) and added into (beta)
// as well as overwritten, NaN in C ignored then.
func TestGemmTileContiguous(t *testing.T) {
	for _, tc := range fastTileCases {
		if !tc.ok {
			t.Logf("%s: not on this CPU", tc.name)
			continue
		}
		testFastTile(t, tc)
	}
}

func testFastTile(t *testing.T, tc fastTileCase) {
	r := rand.New(rand.NewPCG(43, 44))
	ldb, ldc := tc.cols+5, tc.cols+3
	for rows := 1; rows <= tc.rows; rows++ {
		for _, k := range []int{1, 2, 3, 4, 17, 64, 65} {
			for _, beta := range []float32{0, 0.5} {
				name := fmt.Sprintf("%s/rows=%d/k=%d/beta=%g", tc.name, rows, k, beta)
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
				c0 := randC(r, rows*ldc, beta)
				fast, cols, general := append([]float32(nil), c0...), append([]float32(nil), c0...), append([]float32(nil), c0...)
				tc.call(k, a, rsa, 1, b, ldb, fast, ldc, 1.5, beta, rows)
				tc.call(k, at, 1, rows, b, ldb, cols, ldc, 1.5, beta, rows)
				tc.call(k, as, 2, 2*rows+1, b, ldb, general, ldc, 1.5, beta, rows)
				checkOutside(t, name, fast, c0, rows, tc.cols, ldc)
				for i := 0; i < rows; i++ {
					for j := 0; j < tc.cols; j++ {
						got := fast[i*ldc+j]
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
