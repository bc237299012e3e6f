package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTileSegs holds every kernel's tileSegs to a float64 sum over its
// segments, each reading A and B at its own offset: one segment or
// several, jumps that make the segments overlap (a convolution's kernel
// rows) or lie apart (staged samples), a depth of whole AMX steps (the
// AMX tile's own path) or not (a call per segment), beta 0 over NaN and
// beta 1, up to the kernel's own tile size. Elements outside rows ×
// cols must not change.
func TestTileSegs(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	pair := func() uint32 {
		return uint32(bf16Bits(2*r.Float32()-1)) | uint32(bf16Bits(2*r.Float32()-1))<<16
	}
	for _, kern := range bf16Kernels {
		for _, sh := range []struct{ segs, segA, segB, k, rows, cols int }{
			{1, 0, 0, 32, 32, 32},
			{3, 40, 32 * 37, 32, 32, 32},    // kernel rows: A overlaps, B goes on
			{4, 700, 900, 48, 17, 20},       // samples apart
			{2, 19, 16 * 37, 16, 9, 32},     // one row tile
			{3, 50, 23 * 37, 23, 30, 7},     // a tail: one call a segment
			{5, 64 * 33, 64 * 37, 64, 1, 1}, // one element
		} {
			sh.rows, sh.cols = min(sh.rows, kern.mr), min(sh.cols, kern.nr) // the tile's bounds
			for _, beta := range []float32{0, 1} {
				name := fmt.Sprintf("%s/segs=%d/k=%d/rows=%d/cols=%d/beta=%g", kern.name, sh.segs, sh.k, sh.rows, sh.cols, beta)
				rsa, ldb, ldc := sh.k+5, 37, 35
				a := make([]uint32, (sh.segs-1)*sh.segA+32*rsa)
				b := make([]uint32, (sh.segs-1)*sh.segB+sh.k*ldb)
				for i := range a {
					a[i] = pair()
				}
				for i := range b {
					b[i] = pair()
				}
				c := randC(r, 32*ldc, beta)
				got := append([]float32(nil), c...)
				kern.tileSegs(sh.segs, sh.segA, sh.segB, sh.k, a, rsa, b, ldb, got, ldc, beta, sh.rows, sh.cols)
				checkOutside(t, name, got, c, sh.rows, sh.cols, ldc)
				for i := range got {
					row, col := i/ldc, i%ldc
					if row >= sh.rows || col >= sh.cols {
						continue
					}
					want, mag := 0.0, 0.0
					if beta != 0 {
						want, mag = float64(c[i]), math.Abs(float64(c[i]))
					}
					for s := range sh.segs {
						for q := range sh.k {
							x, y := a[s*sh.segA+row*rsa+q], b[s*sh.segB+q*ldb+col]
							p := float64(bf16Lo(x))*float64(bf16Lo(y)) + float64(bf16Hi(x))*float64(bf16Hi(y))
							want += p
							mag += math.Abs(p)
						}
					}
					if d := math.Abs(float64(got[i]) - want); !(d <= 0x1p-22*float64(2*sh.segs*sh.k+2)*mag) {
						t.Fatalf("%s: C[%d,%d] = %g, want %g", name, row, col, got[i], want)
					}
				}
			}
		}
	}
}
