package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// dwLagCases are one-channel shifted geometries: LeNet-5's first layer,
// windows taller than the pure-Go tile (5 rows > mr 4), more taps × filters
// than a tile's columns, an even window padded on one side, valid.
var dwLagCases = []convCase{
	{3, 28, 28, 1, 5, 5, 6, 1, 1, 2, 2, 2, 2}, // LeNet-5's first layer
	{2, 9, 11, 1, 5, 5, 8, 1, 1, 0, 0, 0, 0},  // valid, 40 columns
	{2, 8, 7, 1, 4, 4, 3, 1, 1, 2, 1, 0, 3},   // even window, uneven padding
	{2, 7, 7, 1, 3, 3, 32, 1, 1, 1, 1, 1, 1},  // 3×3 over 32 filters
	{1, 6, 9, 1, 2, 7, 5, 1, 1, 1, 0, 3, 3},   // wide and short
}

// TestLaggedDWSameBits holds Backward with laggedDW against shiftedDW
// (dwLagOff) bit for bit, on every tile implementation (those it runs
// on, and the pure-Go one, which it leaves to shiftedDW), with and without
// ReLU and dx, on data with ±0s, on sums that underflow to -0, and with
// Inf and NaN in x (where laggedDW's extra steps would read them, which
// sends that sample to shiftedDW, and elsewhere) and in dy.
func TestLaggedDWSameBits(t *testing.T) {
	defer SetWorkers(0)
	defer func() { dwLagOff = false }()
	lagged := 0
	for _, kern := range kernels {
		for _, c := range dwLagCases {
			for _, kind := range []string{"mixed", "underflow", "edgeinf", "edgenan", "inf", "dynan"} {
				for _, relu := range []bool{false, true} {
					for _, withDX := range []bool{false, true} {
						name := fmt.Sprintf("%s/%v/%s/relu=%v/dx=%v", kern.name, c, kind, relu, withDX)
						t.Run(name, func(t *testing.T) {
							SetWorkers(2)
							if checkLaggedDW(t, kern, c, kind, relu, withDX) {
								lagged++
							}
						})
					}
				}
			}
		}
	}
	if lagged == 0 && len(kernels) > 1 { // the pure-Go tile never takes it
		t.Error("no case took laggedDW")
	}
}

// checkLaggedDW runs one case both ways and reports whether laggedDW was
// on for it.
func checkLaggedDW(t *testing.T, kern *microKernel, c convCase, kind string, relu, withDX bool) bool {
	r := rand.New(rand.NewPCG(7, uint64(c.h*100+c.kw)))
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	cv.kern = kern
	oh, ow := cv.OutShape()
	x, w := make([]float32, c.n*c.h*c.w), make([]float32, c.kh*c.kw*c.f)
	dy, y := make([]float32, c.n*oh*ow*c.f), make([]float32, c.n*oh*ow*c.f)
	setData(r, map[bool]string{true: "underflow", false: "mixed"}[kind == "underflow"], x, w, dy)
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	switch kind {
	case "edgeinf": // read by the extra steps before the first
		x[0] = inf
	case "edgenan": // and after the last
		x[c.n*c.h*c.w-1] = nan
	case "inf": // inside, sample 1 (or 0)
		x[(c.n-1)*c.h*c.w+(c.h/2)*c.w+c.w/2] = inf
	case "dynan":
		dy[len(dy)/2] = nan
	}
	b := randSlice(r, c.f)
	cv.Forward(y, x, w, b, relu)
	run := func(off bool) [][]float32 {
		dwLagOff = off
		defer func() { dwLagOff = false }()
		rr := rand.New(rand.NewPCG(8, 8))
		var dx []float32
		if withDX {
			dx = randSlice(rr, len(x))
		}
		dw, db := randSlice(rr, len(w)), randSlice(rr, c.f)
		cv.Backward(dx, dw, db, dy, x, w, y, relu)
		return [][]float32{dx, dw, db}
	}
	want, got := run(true), run(false)
	for g, name := range []string{"dx", "dw", "db"} {
		for i := range want[g] {
			if math.Float32bits(got[g][i]) != math.Float32bits(want[g][i]) {
				t.Fatalf("%s[%d] = %v (bits %#x), want %v (bits %#x) as by shiftedDW",
					name, i, got[g][i], math.Float32bits(got[g][i]), want[g][i], math.Float32bits(want[g][i]))
			}
		}
	}
	return cv.dwLagged()
}

// BenchmarkLaggedDW times the backward pass of LeNet-5's first layer at
// batch 128 (dw and db, ReLU, no dx, as a plan runs it) with shiftedDW
// ("old") and laggedDW ("new"), alternated over rounds in one process so
// that a drift of the machine shows in both.
func BenchmarkLaggedDW(b *testing.B) {
	defer func() { dwLagOff = false }()
	c := convCase{128, 28, 28, 1, 5, 5, 6, 1, 1, 2, 2, 2, 2}
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	cv.KeepPatches()
	oh, ow := cv.OutShape()
	r := rand.New(rand.NewPCG(1, 1))
	x, w, bias := randSlice(r, c.n*c.h*c.w), randSlice(r, c.kh*c.kw*c.f), randSlice(r, c.f)
	y, dy := make([]float32, c.n*oh*ow*c.f), randSlice(r, c.n*oh*ow*c.f)
	dw, db := make([]float32, len(w)), make([]float32, c.f)
	cv.Forward(y, x, w, bias, true)
	for round := range 8 {
		for _, old := range []bool{true, false} {
			name := map[bool]string{true: "old", false: "new"}[old]
			b.Run(fmt.Sprintf("%s/%d", name, round), func(b *testing.B) {
				dwLagOff = old
				for b.Loop() {
					cv.Backward(nil, dw, db, dy, x, w, y, true)
				}
			})
		}
	}
}
