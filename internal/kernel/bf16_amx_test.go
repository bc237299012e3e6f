//go:build amd64 && !purego

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAMXTile holds the AMX tile to the pure-Go one on every shape class
// it has: one or two row tiles (rows ≤ 16 or not), a depth of whole
// steps, a last narrow step, or only that step (k < 16), one or both
// column halves, beta 0 (C not read: NaN there stays out) or not, and
// A's rows apart by more than their depth. The sums may differ in order,
// so each element is held to the reference within the rounding of k
// additions; elements outside rows × cols must not change.
func TestAMXTile(t *testing.T) {
	if activeBF16 != &amxBF16Kernel || !amxGranted() {
		t.Skip("no AMX here (or the OS refused it)")
	}
	r := rand.New(rand.NewPCG(41, 42))
	for _, rows := range []int{1, 7, 16, 17, 32} {
		for _, cols := range []int{1, 16, 17, 32} {
			for _, k := range []int{1, 15, 16, 17, 48, 71} {
				for _, beta := range []float32{0, 0.5} {
					name := fmt.Sprintf("rows=%d/cols=%d/k=%d/beta=%g", rows, cols, k, beta)
					rsa, ldb, ldc := k+3, 32+5, 32+2
					a := randPairs(r, 32*rsa)
					b := randPairs(r, k*ldb)
					c := randC(r, 32*ldc, beta)
					want := append([]float32(nil), c...)
					tileBF16Generic(k, a, rsa, 1, b, ldb, want, ldc, 1.5, beta, rows, cols)
					got := append([]float32(nil), c...)
					tileBF16AMX(k, a, rsa, 1, b, ldb, got, ldc, 1.5, beta, rows, cols)
					checkOutside(t, name, got, c, rows, cols, ldc)
					for i := range got {
						if i/ldc >= rows || i%ldc >= cols {
							continue
						}
						if d := math.Abs(float64(got[i] - want[i])); !(d <= 0x1p-20*float64(2*k)*(1+math.Abs(float64(want[i])))) {
							t.Fatalf("%s: C[%d,%d] = %g, pure Go %g", name, i/ldc, i%ldc, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestAMXTileStridedA: A whose pairs are not contiguous along the depth
// (csa ≠ 1) is not for the AMX tiles; the tile runs it on the AVX512_BF16
// one, 14 rows a call, and gives its sums.
func TestAMXTileStridedA(t *testing.T) {
	if activeBF16 != &amxBF16Kernel {
		t.Skip("no AMX here")
	}
	r := rand.New(rand.NewPCG(43, 44))
	const rows, cols, k, csa, ldb, ldc = 30, 24, 37, 33, 32, 40
	a, b := randPairs(r, k*csa), randPairs(r, k*ldb)
	want, got := make([]float32, rows*ldc), make([]float32, rows*ldc)
	tileBF16Generic(k, a, 1, csa, b, ldb, want, ldc, 1, 0, rows, cols)
	tileBF16AMX(k, a, 1, csa, b, ldb, got, ldc, 1, 0, rows, cols)
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= 0x1p-20*float64(2*k)*(1+math.Abs(float64(want[i])))) {
			t.Fatalf("C[%d,%d] = %g, pure Go %g", i/ldc, i%ldc, got[i], want[i])
		}
	}
}

// randPairs returns n bfloat16 pairs of values in [-1, 1).
func randPairs(r *rand.Rand, n int) []uint32 {
	p := make([]uint32, n)
	for i := range p {
		p[i] = uint32(bf16Bits(2*r.Float32()-1)) | uint32(bf16Bits(2*r.Float32()-1))<<16
	}
	return p
}
