package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bnReLUData is x and dy (m, n) for the fused passes: uniform values with,
// one in seven, a special one (±0, ±Inf, NaN) mixed in.
func bnReLUData(r *rand.Rand, m, n int) (x, dy []float32) {
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
	return mix(make([]float32, m*n)), mix(make([]float32, m*n))
}

// coefs are n per-channel values, the first channel's set so that the
// sign of a zero shows: scale 1 and shift -0 (0·1 + -0 is +0 before the
// ReLU, 1·1 + -0 is 1), a 1, b -0, d -0 and mean 0.5 (a zero g's sign
// survives to dx where x > 0.5).
func coefs(r *rand.Rand, n int) (scale, shift, a, b, d, mean []float32) {
	scale, shift, a = randSlice(r, n), randSlice(r, n), randSlice(r, n)
	b, d, mean = randSlice(r, n), randSlice(r, n), randSlice(r, n)
	nz := float32(math.Copysign(0, -1))
	scale[0], shift[0], a[0], b[0], d[0], mean[0] = 1, nz, 1, nz, nz, 0.5
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

// unfused is what the unfused passes make of x and dy: the ReLU's output
// y = ReLU(ChannelAffine(x)), and the normalization's output gradient dz,
// a zeroed buffer into which ReLUBackward adds dy where y > 0.
func unfused(x, dy, scale, shift []float32, m, n int) (y, dz []float32) {
	y, dz = make([]float32, m*n), make([]float32, m*n)
	ChannelAffine(y, x, scale, shift, m, n)
	ReLU(y, y)
	ReLUBackward(dz, dy, y)
	return y, dz
}

// TestBatchNormReLULoops holds the fused loops against the unfused ones
// followed or preceded by ReLU and ReLUBackward, bit for bit, with and
// without the assembly, for channel counts on and off its multiple of 8
// and row counts on and off colRun.
func TestBatchNormReLULoops(t *testing.T) {
	defer func() { bnVecOff, bnWideOff = false, false }()
	r := rand.New(rand.NewPCG(16, 3))
	for _, s := range [][2]int{{1, 8}, {70, 8}, {130, 16}, {67, 5}, {200, 12}, {3, 24}, {64, 1}, {70, 32}, {5, 64}, {9, 48}} {
		m, n := s[0], s[1]
		x, dy := bnReLUData(r, m, n)
		x[0], dy[0] = 1, float32(math.Copysign(0, -1)) // -0 through the mask: +0
		if m > 1 {
			x[n], dy[n] = 0, 1 // 0·1 + -0 = +0: masked
		}
		scale, shift, a, b, d, mean := coefs(r, n)
		sum0, dot0, dx0 := make([]float64, n), make([]float64, n), make([]float32, m*n)
		for c := range sum0 {
			sum0[c], dot0[c] = r.NormFloat64(), r.NormFloat64()
		}
		for i := range dx0 {
			dx0[i] = float32(r.NormFloat64())
		}
		dx0[0] = float32(math.Copysign(0, -1))
		for _, path := range bnPaths {
			bnVecOff, bnWideOff = path.vecOff, path.wideOff
			name := fmt.Sprintf("(%d, %d) %s", m, n, path.name)

			got := make([]float32, m*n)
			ChannelAffineReLU(got, x, scale, shift, m, n)
			y, dz := unfused(x, dy, scale, shift, m, n)
			checkSame32(t, name+" ChannelAffineReLU", got, y)

			gs, gd := append([]float64(nil), sum0...), append([]float64(nil), dot0...)
			ws, wd := append([]float64(nil), sum0...), append([]float64(nil), dot0...)
			ColumnDotsReLU64(gs, gd, dy, x, mean, scale, shift, m, n)
			ColumnDots64(ws, wd, dz, x, mean, m, n)
			checkSame64(t, name+" ColumnDotsReLU64 sum", gs, ws)
			checkSame64(t, name+" ColumnDotsReLU64 dot", gd, wd)

			gx, wx := append([]float32(nil), dx0...), append([]float32(nil), dx0...)
			BatchNormGradReLU(gx, dy, x, a, b, mean, d, scale, shift, m, n)
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
	defer func() { bnVecOff, bnWideOff = false, false }()
	r := rand.New(rand.NewPCG(16, 4))
	for _, s := range [][2]int{{300, 40}, {20000, 8}, {9000, 13}, {3000, 64}} {
		m, n := s[0], s[1]
		bn := NewBatchNorm(m, n)
		x, dy := bnReLUData(r, m, n)
		scale, shift, a, b, d, mean := coefs(r, n)
		for _, path := range bnPaths {
			bnVecOff, bnWideOff = path.vecOff, path.wideOff
			name := fmt.Sprintf("(%d, %d) %d chunks, %s", m, n, bn.Chunks(), path.name)
			got, y := make([]float32, m*n), make([]float32, m*n)
			bn.AffineReLU(got, x, scale, shift)
			bn.Affine(y, x, scale, shift)
			ReLU(y, y)
			checkSame32(t, name+" AffineReLU", got, y)
			dz := make([]float32, m*n)
			ReLUBackward(dz, dy, y)

			gs, gd, ws, wd := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			bn.GradSumsReLU(gs, gd, dy, x, mean, scale, shift)
			bn.GradSums(ws, wd, dz, x, mean)
			checkSame64(t, name+" GradSumsReLU sum", gs, ws)
			checkSame64(t, name+" GradSumsReLU dot", gd, wd)

			gx, wx := randSlice(r, m*n), make([]float32, m*n)
			copy(wx, gx)
			bn.GradReLU(gx, dy, x, a, b, mean, d, scale, shift)
			bn.Grad(wx, dz, x, a, b, mean, d)
			checkSame32(t, name+" GradReLU", gx, wx)
		}
	}
}

// TestBatchNormGradSet holds the passes that set dx against the adding
// ones on a zeroed dx, bit for bit, with dx poisoned with NaN before (a
// set pass must neither read it nor leave any of it), -0 sums included
// (which must come out +0, as 0 + -0), with and without the assembly, by
// the loops and by BatchNorm in one chunk and in several.
func TestBatchNormGradSet(t *testing.T) {
	defer func() { bnVecOff, bnWideOff = false, false }()
	r := rand.New(rand.NewPCG(16, 5))
	nan := float32(math.NaN())
	for _, s := range [][2]int{{1, 8}, {70, 8}, {67, 5}, {200, 12}, {64, 1}, {20000, 8}, {9000, 13}, {70, 16}, {130, 32}} {
		m, n := s[0], s[1]
		bn := NewBatchNorm(m, n)
		x, dy := bnReLUData(r, m, n)
		scale, shift, a, b, d, mean := coefs(r, n)
		x[0], dy[0] = 1, float32(math.Copysign(0, -1)) // a·(-0) + (-0)·0.5 + -0: -0, set as +0
		poisoned := func() []float32 {
			dx := make([]float32, m*n)
			for i := range dx {
				dx[i] = nan
			}
			return dx
		}
		for _, path := range bnPaths {
			bnVecOff, bnWideOff = path.vecOff, path.wideOff
			name := fmt.Sprintf("(%d, %d) %d chunks, %s", m, n, bn.Chunks(), path.name)
			want, got := make([]float32, m*n), poisoned()
			BatchNormGrad(want, dy, x, a, b, mean, d, m, n)
			batchNormGradSet(got, dy, x, a, b, mean, d, m, n)
			checkSame32(t, name+" batchNormGradSet", got, want)
			if math.Float32bits(got[0]) != 0 {
				t.Errorf("%s: dx[0] = %v (%#x), want +0 (0 + -0)", name, got[0], math.Float32bits(got[0]))
			}
			got = poisoned()
			bn.GradSet(got, dy, x, a, b, mean, d)
			checkSame32(t, name+" GradSet", got, want)

			want, got = make([]float32, m*n), poisoned()
			BatchNormGradReLU(want, dy, x, a, b, mean, d, scale, shift, m, n)
			batchNormGradReLUSet(got, dy, x, a, b, mean, d, scale, shift, m, n)
			checkSame32(t, name+" batchNormGradReLUSet", got, want)
			got = poisoned()
			bn.GradReLUSet(got, dy, x, a, b, mean, d, scale, shift)
			checkSame32(t, name+" GradReLUSet", got, want)
		}
	}
}
