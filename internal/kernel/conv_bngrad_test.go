package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConv2DBackwardBN holds BackwardBN to what it stands in for: the
// normalization's GradSet or GradReLUSet written into a buffer for the
// whole batch, then Backward on it. Every gradient must have the same
// bits, on each path (shifted, the shifted path's GEMM dx, im2col), with
// and without the ReLU, setting the gradients and adding into them, on
// one worker and two.
func TestConv2DBackwardBN(t *testing.T) {
	defer SetWorkers(0)
	defer func() { shiftedOff, gemmDXOff = false, false }()
	r := rand.New(rand.NewPCG(51, 52))
	cases := append(append([]convCase(nil), convCases...), setConvCases[3], setConvCases[12], setConvCases[15])
	for _, c := range cases {
		for _, path := range []string{"shifted", "convdx", "im2col"} {
			if path == "convdx" && c.c > 8 {
				continue
			}
			shiftedOff, gemmDXOff = path == "im2col", path == "convdx"
			for _, relu := range []bool{false, true} {
				for _, set := range setModes {
					for _, workers := range []int{1, 2} {
						SetWorkers(workers)
						name := fmt.Sprintf("%v/%s/relu=%v/set=%v/workers=%d", c, path, relu, set, workers)
						checkBackwardBN(t, name, r, c, relu, set)
					}
				}
			}
		}
	}
}

func checkBackwardBN(t *testing.T, name string, r *rand.Rand, c convCase, relu bool, set convSet) {
	t.Helper()
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	oh, ow := cv.OutShape()
	m := c.n * oh * ow
	x, w := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f)
	y, dz := randSlice(r, m*c.f), randSlice(r, m*c.f)
	cv.Forward(make([]float32, m*c.f), x, w, nil, false) // Backward follows a Forward
	bn := &BNGrad{DZ: dz, Y: y, ReLU: relu}
	for _, p := range []*[]float32{&bn.A, &bn.B, &bn.Mean, &bn.D, &bn.Scale, &bn.Shift} {
		*p = randSlice(r, c.f)
	}
	dx0, dw0, db0 := randSlice(r, len(x)), randSlice(r, len(w)), randSlice(r, c.f)
	// The reference: the normalization's pass for the whole batch, then
	// Backward.
	dy := make([]float32, m*c.f)
	if relu {
		batchNormGradReLUSet(dy, dz, y, bn.A, bn.B, bn.Mean, bn.D, bn.Scale, bn.Shift, m, c.f)
	} else {
		batchNormGradSet(dy, dz, y, bn.A, bn.B, bn.Mean, bn.D, m, c.f)
	}
	cv.SetGrads(set.dx, set.dw, set.db)
	rdx, rdw, rdb := append([]float32(nil), dx0...), append([]float32(nil), dw0...), append([]float32(nil), db0...)
	cv.Backward(rdx, rdw, rdb, dy, x, w, nil, false)
	gdx, gdw, gdb := append([]float32(nil), dx0...), append([]float32(nil), dw0...), append([]float32(nil), db0...)
	cv.BackwardBN(gdx, gdw, gdb, bn, x, w)
	requireBits(t, name+": BackwardBN against the pass and Backward", bitsOf{"dx", gdx, rdx}, bitsOf{"dw", gdw, rdw}, bitsOf{"db", gdb, rdb})
}

// TestConv2DBackwardBNPanics checks that BackwardBN names a missing or
// mis-sized operand of the normalization.
func TestConv2DBackwardBNPanics(t *testing.T) {
	c := convCases[1]
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	oh, ow := cv.OutShape()
	m := c.n * oh * ow * c.f
	x, w := make([]float32, c.n*c.h*c.w*c.c), make([]float32, c.kh*c.kw*c.c*c.f)
	ok := func() *BNGrad {
		f := make([]float32, c.f)
		return &BNGrad{DZ: make([]float32, m), Y: make([]float32, m), A: f, B: f, Mean: f, D: f, Scale: f, Shift: f, ReLU: true}
	}
	mustPanic(t, "nil BNGrad", func() { cv.BackwardBN(nil, make([]float32, len(w)), nil, nil, x, w) })
	mustPanic(t, "short dz", func() {
		g := ok()
		g.DZ = g.DZ[1:]
		cv.BackwardBN(nil, make([]float32, len(w)), nil, g, x, w)
	})
	mustPanic(t, "short shift with ReLU", func() {
		g := ok()
		g.Shift = g.Shift[1:]
		cv.BackwardBN(nil, make([]float32, len(w)), nil, g, x, w)
	})
}

// TestConv2DBackwardBNPooled holds BackwardBN with the normalization's
// output gradient given by a max pooling's gradient and winners
// (BNGrad.Pool) to BackwardBN reading that gradient as the pooling's
// backward pass sets it: the same bits for every gradient, DZ unread
// (NaN), with and without the ReLU, setting and adding, on one worker and
// two.
func TestConv2DBackwardBNPooled(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(53, 54))
	for _, c := range []convCase{convCases[1], convCases[8], {3, 14, 14, 32, 3, 3, 16, 1, 1, 1, 1, 1, 1}, {2, 9, 7, 8, 3, 3, 5, 1, 1, 1, 1, 1, 1}} {
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		if !cv.TakesPooledGrad() {
			t.Fatalf("%v: no pooled gradient on the shifted path", c)
		}
		oh, ow := cv.OutShape()
		m := c.n * oh * ow
		g, wins, pdy := pooledCase(r, c.n, oh, ow, c.f)
		dz := make([]float32, m*c.f)
		MaxPool2DWinsBackwardSet(dz, pdy, wins, c.n, c.f, g)
		nan := make([]float32, m*c.f)
		for i := range nan {
			nan[i] = float32(math.NaN())
		}
		x, w := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f)
		cv.Forward(make([]float32, m*c.f), x, w, nil, false)
		for _, relu := range []bool{false, true} {
			for _, set := range setModes {
				for _, workers := range []int{1, 2} {
					SetWorkers(workers)
					name := fmt.Sprintf("%v/relu=%v/set=%v/workers=%d", c, relu, set, workers)
					bn := BNGrad{Y: randSlice(r, m*c.f), ReLU: relu}
					for _, p := range []*[]float32{&bn.A, &bn.B, &bn.Mean, &bn.D, &bn.Scale, &bn.Shift} {
						*p = randSlice(r, c.f)
					}
					cv.SetGrads(set.dx, set.dw, set.db)
					ref, got := bn, bn
					ref.DZ = dz
					got.DZ, got.Pool = nan, &PooledGrad{DY: pdy, Wins: wins}
					rdx, rdw, rdb := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.f)
					gdx, gdw, gdb := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.f)
					cv.BackwardBN(rdx, rdw, rdb, &ref, x, w)
					cv.BackwardBN(gdx, gdw, gdb, &got, x, w)
					requireBits(t, name+": from the pooled gradient against from dz", bitsOf{"dx", gdx, rdx}, bitsOf{"dw", gdw, rdw}, bitsOf{"db", gdb, rdb})
				}
			}
		}
	}
}
