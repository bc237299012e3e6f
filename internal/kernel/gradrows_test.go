package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaskRowsSameBits holds padGrad with its assembly loop against its
// row-by-row loop bit for bit, on every shifted geometry of convCases and
// setConvCases, grids as wide as the padded input and wider, as tall as
// the output and taller, into a destination filled with NaN; dy holds ±0,
// ±Inf and NaN, y ±0, NaN and values of both signs.
func TestMaskRowsSameBits(t *testing.T) {
	defer func() { maskRowsVecOff = false }()
	ran := 0
	for _, c := range append(append([]convCase(nil), convCases...), setConvCases...) {
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		if !cv.shifted {
			continue
		}
		for _, extra := range []int{0, 3} {
			t.Run(fmt.Sprintf("%v/extra=%d", c, extra), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(c.f), uint64(c.h+extra)))
				out := cv.oh * cv.ow * cv.f
				dy, y := randSlice(r, out), randSlice(r, out)
				special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
				for i := range dy {
					if r.IntN(6) == 0 {
						dy[i] = special[r.IntN(len(special))]
					}
					if r.IntN(6) == 0 {
						y[i] = special[r.IntN(len(special))]
					}
				}
				rows, cols := cv.oh+extra, cv.wp+extra
				var got, want []float32
				for _, off := range []bool{true, false} {
					maskRowsVecOff = off
					dst := make([]float32, rows*cols*cv.f+5)
					for i := range dst {
						dst[i] = float32(math.NaN())
					}
					d := cv.padGrad(dst, dy, y, true, rows, cols, 0, 0)
					if len(d) != rows*cols*cv.f || dst[len(d)] == dst[len(d)] {
						t.Fatalf("padGrad gave %d values or wrote past them, want %d", len(d), rows*cols*cv.f)
					}
					if off {
						want = d
					} else {
						got = d
					}
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("dst[%d] = %v (bits %#x), want %v (bits %#x) row by row",
							i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			})
			ran++
		}
	}
	if ran < 10 {
		t.Errorf("%d geometries ran, want ≥ 10", ran)
	}
}

// BenchmarkMaskRows times padGrad of one sample's ReLU-masked gradient on
// LeNet-5's two layers, row by row ("old") and in one assembly call
// ("new"), alternated over rounds in one process.
func BenchmarkMaskRows(b *testing.B) {
	defer func() { maskRowsVecOff = false }()
	for _, c := range []convCase{{1, 28, 28, 1, 5, 5, 6, 1, 1, 2, 2, 2, 2}, {1, 14, 14, 6, 5, 5, 16, 1, 1, 0, 0, 0, 0}} {
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		r := rand.New(rand.NewPCG(1, 1))
		dy, y := randSlice(r, cv.oh*cv.ow*cv.f), randSlice(r, cv.oh*cv.ow*cv.f)
		dst := make([]float32, cv.oh*cv.wp*cv.f)
		for round := range 4 {
			for _, old := range []bool{true, false} {
				name := map[bool]string{true: "old", false: "new"}[old]
				b.Run(fmt.Sprintf("f=%d/%s/%d", c.f, name, round), func(b *testing.B) {
					maskRowsVecOff = old
					for b.Loop() {
						cv.padGrad(dst, dy, y, true, cv.oh, cv.wp, 0, 0)
					}
				})
			}
		}
	}
}
