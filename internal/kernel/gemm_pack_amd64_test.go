//go:build amd64 && !purego

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmPackTile holds gemmTilePackAVX512x32 to the tile it stands in
// for: C bit for bit as gemmTileAVX512x32 computes it from the same
// operands, and the panel it writes equal to B's rows, with nothing
// written past its k rows. The depths cover one step, odd and even
// counts and more than one packing prefetch distance; B's rows are 2 KiB
// apart as Gemm packs them, and closer.
func TestGemmPackTile(t *testing.T) {
	if !thisCPU.avx512 {
		t.Skip("no AVX-512 here: the packing tile is not used")
	}
	r := rand.New(rand.NewPCG(45, 46))
	const rows, cols, ldc = 14, 32, 37
	for _, k := range []int{1, 2, 7, 16, 33, 256} {
		for _, ldb := range []int{32, 45, 512} {
			for _, beta := range []float32{0, 0.5} {
				name := fmt.Sprintf("k=%d/ldb=%d/beta=%g", k, ldb, beta)
				rsa := k + 5
				a := randSlice(r, rows*rsa)
				b := randSlice(r, (k-1)*ldb+cols)
				c0 := randC(r, rows*ldc, beta)
				want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
				gemmTileAVX512x32(k, &a[0], rsa, 1, &b[0], ldb, &want[0], ldc, 1.5, beta, rows, ^uint32(0))
				const guard = 16
				dst := make([]float32, k*cols+guard)
				for i := range dst {
					dst[i] = -7
				}
				packTileAVX512(k, a, rsa, b, ldb, got, ldc, 1.5, beta, dst)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s: C[%d,%d] = %g, the tile gives %g", name, i/ldc, i%ldc, got[i], want[i])
					}
				}
				for p := 0; p < k; p++ {
					for j := 0; j < cols; j++ {
						if dst[p*cols+j] != b[p*ldb+j] {
							t.Fatalf("%s: panel[%d,%d] = %g, want B's %g", name, p, j, dst[p*cols+j], b[p*ldb+j])
						}
					}
				}
				for i, v := range dst[k*cols:] {
					if v != -7 {
						t.Fatalf("%s: the panel's %d-th value past its end was written", name, i)
					}
				}
			}
		}
	}
}

// TestGemmPackInTile checks that packing B's panels in their first tiles
// (packTile) changes no bit of Gemm's result against packing them in a
// pass of their own, on one worker and two, for products that take it:
// B's rows 2 KiB or more apart and A in place. The shapes include panels
// narrower than the tile (n not a multiple of 32), row blocks shorter than
// a tile (m < 14, which pack apart), several depth blocks and two column
// blocks (n > nc).
func TestGemmPackInTile(t *testing.T) {
	defer SetWorkers(0)
	defer func() { fusedPackOff = false }()
	r := rand.New(rand.NewPCG(47, 48))
	sizes := [][3]int{{30, 530, 300}, {14, 600, 17}, {13, 600, 40}, {200, 1100, 600}, {512, 512, 512}}
	used := 0
	for _, kern := range kernels {
		if kern.packTile == nil {
			continue
		}
		used++
		for _, s := range sizes {
			m, n, k := s[0], s[1], s[2]
			a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
			for _, w := range []int{1, 2} {
				SetWorkers(w)
				var out [2][]float32
				for i, off := range []bool{true, false} {
					fusedPackOff = off
					out[i] = append([]float32(nil), c...)
					gemmWith(kern, false, false, m, n, k, 1.5, a, k, b, n, 0.5, out[i], n)
				}
				for i := range out[0] {
					if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) {
						t.Fatalf("%s %v on %d workers: C[%d] = %g packed apart, %g packed in the tiles", kern.name, s, w, i, out[0][i], out[1][i])
					}
				}
			}
		}
	}
	if used == 0 {
		t.Skip("no implementation with a packing tile here")
	}
}
