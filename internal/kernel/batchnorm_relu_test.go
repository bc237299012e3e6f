package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bnReLUData is x, dy and y (m, n) for the fused passes: uniform values
// with, one in seven, a special one (±0, ±Inf, NaN) mixed in; y is mostly
// a ReLU's output (≥ 0, many exact zeros) but holds negatives, -0 and NaN
// too, which the mask must treat as ReLUBackward does.
func bnReLUData(r *rand.Rand, m, n int) (x, dy, y []float32) {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	mix := func(s []float32) []float32 {
		for i := range s {
			s[i] = float32(r.Float64()*4 - 2)
			if r.IntN(7) == 0 {
				s[i] = specials[r.IntN(len(specials))]
			}
		}
		return s
	}
	x, dy, y = mix(make([]float32, m*n)), mix(make([]float32, m*n)), mix(make([]float32, m*n))
	for i, v := range y {
		if v < 0 && r.IntN(4) > 0 {
			y[i] = 0
		}
	}
	return x, dy, y
}

// coefs are n per-channel values, the first channel's set so that the
// sign of a zero shows: scale 1 and shift -0 (0·1 + -0 is -0 before the
// ReLU), a 1, b -0, d -0 (a zero g's sign survives to dx).
func coefs(r *rand.Rand, n int) (scale, shift, a, b, d, mean []float32) {
	scale, shift, a = randSlice(r, n), randSlice(r, n), randSlice(r, n)
	b, d, mean = randSlice(r, n), randSlice(r, n), randSlice(r, n)
	nz := float32(math.Copysign(0, -1))
	scale[0], shift[0], a[0], b[0], d[0] = 1, nz, 1, nz, nz
	return
}

func sameBits64(a, b float64) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

func checkSame32(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if !sameBits(got[i], want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), unfused %v (%#x)", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func checkSame64(t *testing.T, name string, got, want []float64) {
	t.Helper()
	for i := range want {
		if !sameBits64(got[i], want[i]) {
			t.Fatalf("%s[%d] = %v, unfused %v", name, i, got[i], want[i])
		}
	}
}

// unfusedReLUGrad is what the unfused plan hands the normalization's
// backward: a zeroed buffer into which ReLUBackward adds dy where y > 0.
func unfusedReLUGrad(dy, y []float32) []float32 {
	dz := make([]float32, len(dy))
	ReLUBackward(dz, dy, y)
	return dz
}

// TestBatchNormReLULoops holds the fused loops against the unfused ones
// followed or preceded by ReLU and ReLUBackward, bit for bit, with and
// without the assembly, for channel counts on and off its multiple of 8
// and row counts on and off colRun.
func TestBatchNormReLULoops(t *testing.T) {
	defer func() { bnVecOff = false }()
	r := rand.New(rand.NewPCG(16, 3))
	for _, s := range [][2]int{{1, 8}, {70, 8}, {130, 16}, {67, 5}, {200, 12}, {3, 24}, {64, 1}} {
		m, n := s[0], s[1]
		x, dy, y := bnReLUData(r, m, n)
		x[0], dy[0], y[0] = 0, float32(math.Copysign(0, -1)), 1 // -0 through the mask: +0
		scale, shift, a, b, d, mean := coefs(r, n)
		sum0, dot0, dx0 := make([]float64, n), make([]float64, n), make([]float32, m*n)
		for c := range sum0 {
			sum0[c], dot0[c] = r.NormFloat64(), r.NormFloat64()
		}
		for i := range dx0 {
			dx0[i] = float32(r.NormFloat64())
		}
		dx0[0] = float32(math.Copysign(0, -1))
		for _, off := range []bool{true, false} {
			bnVecOff = off
			name := fmt.Sprintf("(%d, %d) assembly off %v", m, n, off)

			got, want := make([]float32, m*n), make([]float32, m*n)
			ChannelAffineReLU(got, x, scale, shift, m, n)
			ChannelAffine(want, x, scale, shift, m, n)
			ReLU(want, want)
			checkSame32(t, name+" ChannelAffineReLU", got, want)

			dz := unfusedReLUGrad(dy, y)
			gs, gd := append([]float64(nil), sum0...), append([]float64(nil), dot0...)
			ws, wd := append([]float64(nil), sum0...), append([]float64(nil), dot0...)
			ColumnDotsReLU64(gs, gd, dy, y, x, mean, m, n)
			ColumnDots64(ws, wd, dz, x, mean, m, n)
			checkSame64(t, name+" ColumnDotsReLU64 sum", gs, ws)
			checkSame64(t, name+" ColumnDotsReLU64 dot", gd, wd)

			gx, wx := append([]float32(nil), dx0...), append([]float32(nil), dx0...)
			BatchNormGradReLU(gx, dy, y, x, a, b, mean, d, m, n)
			BatchNormGrad(wx, dz, x, a, b, mean, d, m, n)
			checkSame32(t, name+" BatchNormGradReLU", gx, wx)
			if math.Float32bits(gx[0]) != 0 {
				t.Errorf("%s: dx[0] = %v (%#x): a dy of -0 through the mask must add +0, as ReLUBackward's 0 + -0",
					name, gx[0], math.Float32bits(gx[0]))
			}
		}
	}
}

// TestBatchNormReLUPasses holds BatchNorm's fused passes against its
// unfused ones with the ReLU apart, in one chunk and in several.
func TestBatchNormReLUPasses(t *testing.T) {
	defer func() { bnVecOff = false }()
	r := rand.New(rand.NewPCG(16, 4))
	for _, s := range [][2]int{{300, 40}, {20000, 8}, {9000, 13}} {
		m, n := s[0], s[1]
		bn := NewBatchNorm(m, n)
		x, dy, y := bnReLUData(r, m, n)
		scale, shift, a, b, d, mean := coefs(r, n)
		dz := unfusedReLUGrad(dy, y)
		for _, off := range []bool{true, false} {
			bnVecOff = off
			name := fmt.Sprintf("(%d, %d) %d chunks, assembly off %v", m, n, bn.Chunks(), off)
			got, want := make([]float32, m*n), make([]float32, m*n)
			bn.AffineReLU(got, x, scale, shift)
			bn.Affine(want, x, scale, shift)
			ReLU(want, want)
			checkSame32(t, name+" AffineReLU", got, want)

			gs, gd, ws, wd := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			bn.GradSumsReLU(gs, gd, dy, y, x, mean)
			bn.GradSums(ws, wd, dz, x, mean)
			checkSame64(t, name+" GradSumsReLU sum", gs, ws)
			checkSame64(t, name+" GradSumsReLU dot", gd, wd)

			gx, wx := randSlice(r, m*n), make([]float32, m*n)
			copy(wx, gx)
			bn.GradReLU(gx, dy, y, x, a, b, mean, d)
			bn.Grad(wx, dz, x, a, b, mean, d)
			checkSame32(t, name+" GradReLU", gx, wx)
		}
	}
}
