package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBatchNormLoops holds the per-channel loops against float64 sums, at
// row counts that are not multiples of the float32 run and channel counts
// that leave a remainder after the blocks of 8 (and 4).
func TestBatchNormLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, s := range [][2]int{{1, 1}, {3, 7}, {200, 13}, {129, 32}, {64, 64}} {
		m, n := s[0], s[1]
		x, dy := randSlice(r, m*n), randSlice(r, m*n)
		for i := range x {
			x[i] = 3 + 2*x[i] // a mean far from 0, as conv outputs have
		}
		mean, scale, shift := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		a, b, d := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		sum, sq, gs, gd := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for c := range n { // start from non-zero: the loops accumulate
			sum[c], sq[c], gs[c], gd[c] = 1, 2, 3, 4
		}
		ColumnSums64(sum, x, m, n)
		ColumnSquares64(sq, x, mean, m, n)
		ColumnDots64(gs, gd, dy, x, mean, m, n)
		y := make([]float32, m*n)
		ChannelAffine(y, x, scale, shift, m, n)
		dx := randSlice(r, m*n)
		dx0 := append([]float32(nil), dx...)
		BatchNormGrad(dx, dy, x, a, b, mean, d, m, n)
		for c := range n {
			ws, wq, wgs, wgd := 1.0, 2.0, 3.0, 4.0
			for i := range m {
				v, g, k := float64(x[i*n+c]), float64(dy[i*n+c]), float64(mean[c])
				ws += v
				wq += (v - k) * (v - k)
				wgs += g
				wgd += g * (v - k)
				if want := v*float64(scale[c]) + float64(shift[c]); math.Abs(float64(y[i*n+c])-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("%v: y[%d,%d] = %v, want %v", s, i, c, y[i*n+c], want)
				}
				want := float64(dx0[i*n+c]) + float64(a[c])*g + float64(b[c])*(v-k) + float64(d[c])
				if math.Abs(float64(dx[i*n+c])-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("%v: dx[%d,%d] = %v, want %v", s, i, c, dx[i*n+c], want)
				}
			}
			for _, q := range []struct {
				name      string
				got, want float64
			}{{"sum", sum[c], ws}, {"squares", sq[c], wq}, {"dy sum", gs[c], wgs}, {"dot", gd[c], wgd}} {
				if math.Abs(q.got-q.want) > 1e-5*(float64(m)+math.Abs(q.want)) {
					t.Errorf("%v: %s of channel %d = %v, want %v", s, q.name, c, q.got, q.want)
				}
			}
		}
	}
	mustPanic(t, "short x", func() { ColumnSums64(make([]float64, 4), make([]float32, 7), 2, 4) })
}

// bnPaths are the loops the tests hold against each other: pure Go, the
// AVX assembly and the AVX-512 assembly, each where the CPU has it (the
// last runs rows of a multiple of 16 channels, 32 for the reductions).
var bnPaths = []struct {
	name            string
	vecOff, wideOff bool
}{{"Go", true, true}, {"AVX", false, true}, {"AVX-512", false, false}}

// TestBatchNormLoopsConformance: the assembly loops (rows of a multiple of
// 8 channels, at either width) give the pure-Go loops' bits.
func TestBatchNormLoopsConformance(t *testing.T) {
	defer func() { bnVecOff, bnWideOff = false, false }()
	r := rand.New(rand.NewPCG(6, 6))
	for _, s := range [][2]int{{1, 8}, {65, 8}, {130, 24}, {200, 32}, {7, 64}, {9, 16}, {33, 48}, {5, 96}} {
		m, n := s[0], s[1]
		x, dy, dx0 := randSlice(r, m*n), randSlice(r, m*n), randSlice(r, m*n)
		k, sc, sh := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		a, b, d := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		run := func(vecOff, wideOff bool) (f64 []float64, f32 []float32) {
			bnVecOff, bnWideOff = vecOff, wideOff
			s1, s2, s3, s4 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			for c := range n {
				s1[c], s2[c], s3[c], s4[c] = 0.5, 1.5, -2, 3
			}
			ColumnSums64(s1, x, m, n)
			ColumnSquares64(s2, x, k, m, n)
			ColumnDots64(s3, s4, dy, x, k, m, n)
			y, dx := make([]float32, m*n), append([]float32(nil), dx0...)
			ChannelAffine(y, x, sc, sh, m, n)
			BatchNormGrad(dx, dy, x, a, b, k, d, m, n)
			return append(append(append(s1, s2...), s3...), s4...), append(y, dx...)
		}
		g64, g32 := run(true, true)
		for _, path := range bnPaths[1:] {
			v64, v32 := run(path.vecOff, path.wideOff)
			for i := range g64 {
				if math.Float64bits(g64[i]) != math.Float64bits(v64[i]) {
					t.Fatalf("%v: sum %d (%s of channel %d) = %v by the %s loops, %v by Go", s, i, []string{"ColumnSums64", "ColumnSquares64", "ColumnDots64 sum", "ColumnDots64 dot"}[i/n], i%n, v64[i], path.name, g64[i])
				}
			}
			for i := range g32 {
				if math.Float32bits(g32[i]) != math.Float32bits(v32[i]) {
					t.Fatalf("%v: %s element %d = %v by the %s loops, %v by Go", s, []string{"ChannelAffine", "BatchNormGrad"}[i/(m*n)], i%(m*n), v32[i], path.name, g32[i])
				}
			}
		}
	}
}

// BenchmarkBatchNormLoops times the passes of a training step of batch
// normalization on the bounty CNN's first activation (128·28·28, 32).
func BenchmarkBatchNormLoops(b *testing.B) {
	const m, n = 128 * 28 * 28, 32
	r := rand.New(rand.NewPCG(1, 1))
	x, dy, y, dx := randSlice(r, m*n), randSlice(r, m*n), make([]float32, m*n), make([]float32, m*n)
	v := randSlice(r, n)
	s, q := make([]float64, n), make([]float64, n)
	b.SetBytes(4 * m * n)
	b.Run("ColumnSums64", func(b *testing.B) {
		for b.Loop() {
			ColumnSums64(s, x, m, n)
		}
	})
	b.Run("ColumnSquares64", func(b *testing.B) {
		for b.Loop() {
			ColumnSquares64(s, x, v, m, n)
		}
	})
	b.Run("ColumnDots64", func(b *testing.B) {
		for b.Loop() {
			ColumnDots64(s, q, dy, x, v, m, n)
		}
	})
	b.Run("ChannelAffine", func(b *testing.B) {
		for b.Loop() {
			ChannelAffine(y, x, v, v, m, n)
		}
	})
	b.Run("BatchNormGrad", func(b *testing.B) {
		for b.Loop() {
			BatchNormGrad(dx, dy, x, v, v, v, v, m, n)
		}
	})
}

// BenchmarkBatchNormLoopsInCache times the fused ReLU loops on one sample
// of best's 14×14 layers, two samples of rows (as BNRuns and BackwardBN
// run them, in the cache), at each width of the assembly.
func BenchmarkBatchNormLoopsInCache(b *testing.B) {
	defer func() { bnWideOff = false }()
	for _, n := range []int{32, 64} {
		m := 2 * 14 * 14
		r := rand.New(rand.NewPCG(1, 1))
		x, dy, dx := randSlice(r, m*n), randSlice(r, m*n), make([]float32, m*n)
		v := randSlice(r, n)
		s, q := make([]float64, n), make([]float64, n)
		for _, path := range bnPaths[1:] {
			bnWideOff = path.wideOff
			b.Run(fmt.Sprintf("n=%d/%s/ColumnDotsReLU64", n, path.name), func(b *testing.B) {
				for b.Loop() {
					ColumnDotsReLU64(s, q, dy, x, v, v, v, m, n)
				}
			})
			b.Run(fmt.Sprintf("n=%d/%s/GradReLUSet", n, path.name), func(b *testing.B) {
				for b.Loop() {
					batchNormGradReLUSet(dx, dy, x, v, v, v, v, v, v, m, n)
				}
			})
		}
	}
}
