package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// setConvCases add to convCases geometries where the im2col path splits a
// sample into several blocks of output rows and strides skip rows and
// columns that no window reaches.
var setConvCases = []convCase{
	{2, 7, 7, 3, 1, 1, 4, 2, 2, 0, 0, 0, 0},      // 1×1 at stride 2: every other row and column unreached
	{1, 96, 96, 32, 2, 2, 4, 3, 3, 0, 0, 0, 0},   // 4 blocks; rows 3i+2 and the last unreached
	{1, 50, 50, 40, 3, 3, 3, 2, 2, 2, 2, 2, 2},   // 9 blocks, padded, overlapping windows
	{2, 28, 28, 32, 3, 3, 64, 1, 1, 1, 1, 1, 1},  // best's second layer
	{2, 12, 12, 3, 3, 3, 2, 1, 1, 1, 1, 1, 1},    // dx by bandConv in pixel pairs (2 filters; the convdx path)
	{2, 6, 6, 40, 3, 3, 2, 1, 1, 0, 0, 0, 0},     // valid, dx by bandConv on 40 channels
	{3, 5, 6, 16, 1, 1, 9, 1, 1, 0, 0, 0, 0},     // 1×1 at stride 1: dx is the GEMM's own output
	{2, 9, 9, 16, 3, 3, 8, 1, 1, 0, 0, 0, 0},     // valid, 16 channels
	{2, 10, 10, 8, 3, 3, 16, 2, 2, 1, 1, 1, 1},   // stride 2, same
	{1, 16, 16, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1},  // 64 to 64 channels
	{4, 14, 14, 64, 3, 3, 32, 1, 1, 0, 0, 0, 0},  // valid, more filters than a tile
	{2, 13, 13, 32, 3, 3, 64, 1, 1, 0, 0, 0, 0},  // keras-convnet's second
	{3, 11, 11, 2, 3, 3, 4, 1, 1, 1, 1, 1, 1},    // few channels: the shifted path's GEMM dx
	{2, 5, 5, 4, 3, 3, 6, 2, 2, 0, 0, 0, 0},      // valid, stride 2: the last row and column unreached
	{2, 8, 8, 16, 2, 2, 18, 1, 1, 0, 1, 0, 1},    // even window, padded below and right
	{2, 10, 10, 20, 5, 5, 10, 1, 1, 2, 2, 2, 2},  // 5×5 same
	{2, 6, 6, 24, 3, 3, 16, 1, 1, 2, 2, 2, 2},    // padding KH-1: dy padded by none
	{2, 4, 9, 17, 3, 3, 6, 1, 1, 1, 1, 1, 1},     // odd channels
	{2, 7, 7, 1, 3, 3, 32, 1, 1, 1, 1, 1, 1},     // a first layer's geometry, its dx asked all the same
	{2, 28, 28, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1},  // best's third
	{2, 14, 14, 64, 3, 3, 128, 1, 1, 1, 1, 1, 1}, // best's fifth
}

// setData fills x, w and dy for TestConv2DSetGrads. "mixed": values of
// both signs with ±0s among them; "underflow": tiny positive x and w and
// tiny negative dy, so that every product of dx's and dw's sums is below
// float32's smallest value and an FMA rounds it to -0: a sum formed from
// +0 by the tiles' beta 0 would be -0, where +0 plus it is +0.
func setData(r *rand.Rand, kind string, x, w, dy []float32) {
	for _, s := range [][]float32{x, w, dy} {
		for i := range s {
			switch kind {
			case "underflow":
				s[i] = float32(1e-25 * (1 + r.Float64()))
			default:
				s[i] = float32(r.Float64()*2 - 1)
				switch r.IntN(8) {
				case 0:
					s[i] = float32(math.Copysign(0, -1))
				case 1:
					s[i] = 0
				}
			}
		}
	}
	if kind == "underflow" {
		for i := range dy {
			dy[i] = -dy[i]
		}
	}
}

// convBackwardFunc is Conv2D.Backward or Conv2DBF16.Backward.
type convBackwardFunc func(dx, dw, db, dy, x, w, y []float32, relu bool)

// checkSetGrads runs bwd twice on the same operands: adding (the
// reference) into zeros where set says to set and into dx, dw, db's values
// elsewhere, then with cv.SetGrads as set says, into NaNs where it sets
// and the same values elsewhere, and fails unless every gradient has the
// same bits.
func checkSetGrads(t *testing.T, cv *Conv2D, bwd convBackwardFunc, dx, dw, db []float32, dy, x, w, y []float32, relu bool, set convSet) {
	t.Helper()
	// fill returns a copy of s, or of v repeated when setting.
	fill := func(s []float32, setting bool, v float32) []float32 {
		s = append([]float32(nil), s...)
		if setting {
			for i := range s {
				s[i] = v
			}
		}
		return s
	}
	nan := float32(math.NaN())
	rdx, rdw, rdb := fill(dx, set.dx, 0), fill(dw, set.dw, 0), fill(db, set.db, 0)
	cv.SetGrads(false, false, false)
	bwd(rdx, rdw, rdb, dy, x, w, y, relu)
	sdx, sdw, sdb := fill(dx, set.dx, nan), fill(dw, set.dw, nan), fill(db, set.db, nan)
	cv.SetGrads(set.dx, set.dw, set.db)
	bwd(sdx, sdw, sdb, dy, x, w, y, relu)
	cv.SetGrads(false, false, false)
	for _, g := range []struct {
		name      string
		got, want []float32
	}{{"dx", sdx, rdx}, {"dw", sdw, rdw}, {"db", sdb, rdb}} {
		for i := range g.want {
			if math.Float32bits(g.got[i]) != math.Float32bits(g.want[i]) {
				t.Fatalf("%s[%d] = %v (bits %#x), want %v (bits %#x) as added into zeros",
					g.name, i, g.got[i], math.Float32bits(g.got[i]), g.want[i], math.Float32bits(g.want[i]))
			}
		}
	}
}

// setModes are the SetGrads flags tested: all three set, and dx alone
// (dw and db then added into non-zero values).
var setModes = []convSet{{true, true, true}, {true, false, false}}

// TestConv2DSetGrads holds Conv2D.Backward with SetGrads to Backward
// adding into zeros, bit for bit, on every tile implementation and path.
func TestConv2DSetGrads(t *testing.T) {
	defer SetWorkers(0)
	saved := active
	defer func() { active = saved }()
	defer func() { shiftedOff, gemmDXOff = false, false }()
	for _, kern := range testKernels() {
		for _, c := range append(append([]convCase(nil), convCases...), setConvCases...) {
			for _, path := range []string{"shifted", "convdx", "im2col"} {
				if path == "convdx" && c.c > 8 {
					continue
				}
				shiftedOff, gemmDXOff = path == "im2col", path == "convdx"
				name := fmt.Sprintf("%s/%v/%s", kern.name, c, path)
				t.Run(name, func(t *testing.T) {
					SetWorkers(3)
					checkConvSet(t, kern, c)
				})
			}
		}
	}
}

func checkConvSet(t *testing.T, kern *microKernel, c convCase) {
	r := rand.New(rand.NewPCG(5, uint64(c.h*100+c.c)))
	for _, kind := range []string{"mixed", "underflow"} {
		for _, relu := range []bool{false, true} {
			cv := NewConv2D(c.n, c.c, c.f, c.window())
			cv.kern = kern
			if relu {
				cv.KeepPatches()
			}
			oh, ow := cv.OutShape()
			x, w := make([]float32, c.n*c.h*c.w*c.c), make([]float32, c.kh*c.kw*c.c*c.f)
			dy, y := make([]float32, c.n*oh*ow*c.f), make([]float32, c.n*oh*ow*c.f)
			setData(r, kind, x, w, dy)
			b := randSlice(r, c.f)
			cv.Forward(y, x, w, b, relu)
			dx, dw, db := randSlice(r, len(x)), randSlice(r, len(w)), randSlice(r, c.f)
			for _, set := range setModes {
				t.Run(fmt.Sprintf("%s/relu=%v/set=%v", kind, relu, set), func(t *testing.T) {
					checkSetGrads(t, cv, cv.Backward, dx, dw, db, dy, x, w, y, relu, set)
				})
			}
		}
	}
}

// TestConv2DBF16SetGrads: the same for Conv2DBF16, on every bfloat16
// implementation.
func TestConv2DBF16SetGrads(t *testing.T) {
	defer SetWorkers(0)
	for _, kern := range testBF16Kernels() {
		for _, c := range append(append([]convCase(nil), bf16ConvCases...), setConvCases...) {
			b := NewConv2DBF16(NewConv2D(c.n, c.c, c.f, c.window()))
			if b == nil {
				continue // a geometry without a bfloat16 form
			}
			b.kern = kern
			t.Run(fmt.Sprintf("%s/%v", kern.name, c), func(t *testing.T) {
				SetWorkers(3)
				r := rand.New(rand.NewPCG(6, uint64(c.h*100+c.c)))
				cv := b.cv
				oh, ow := cv.OutShape()
				for _, kind := range []string{"mixed", "underflow"} {
					for _, relu := range []bool{false, true} {
						x, w := make([]float32, c.n*c.h*c.w*c.c), make([]float32, c.kh*c.kw*c.c*c.f)
						dy, y := make([]float32, c.n*oh*ow*c.f), make([]float32, c.n*oh*ow*c.f)
						setData(r, kind, x, w, dy)
						b.Forward(y, x, w, randSlice(r, c.f), relu)
						dx, dw, db := randSlice(r, len(x)), randSlice(r, len(w)), randSlice(r, c.f)
						for _, set := range setModes {
							checkSetGrads(t, cv, b.Backward, dx, dw, db, dy, x, w, y, relu, set)
						}
					}
				}
			})
		}
	}
}

// TestConv2DSetGradsPaths checks that setConvCases reach the paths they
// are there for: several row blocks per sample on the im2col path, and
// dx by bandConv on the shifted one.
func TestConv2DSetGradsPaths(t *testing.T) {
	blocks, band := 0, 0
	for _, c := range setConvCases {
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		if !cv.shifted && cv.blocks > 1 {
			blocks++
		}
		if cv.shifted && c.kw*c.f < shiftMinRow { // with gemmDXOff when C ≤ 8

			band++
		}
	}
	if blocks < 2 || band < 2 {
		t.Errorf("%d cases split samples into blocks and %d take bandConv's dx, want ≥ 2 of each", blocks, band)
	}
}
