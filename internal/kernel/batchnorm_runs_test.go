package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// runsCase is a batch normalization over n samples of per rows of c
// channels.
type runsCase struct{ n, per, c int }

// runsCases have samples of a multiple of colRun rows and not (784 and
// 196 rows: the bounty CNN's), chunks of several samples and samples of
// several chunks, and channel counts on and off the assembly's 8.
var runsCases = []runsCase{{6, 784, 32}, {9, 196, 64}, {3, 128, 8}, {4, 100, 5}, {2, 3000, 24}, {5, 1, 16}, {1, 70, 3}}

// checkRunSums fails unless sum and dot have the bits of GradSums (or
// GradSumsReLU) of dy and x under the same operands.
func checkRunSums(t *testing.T, name string, bn *BatchNorm, sum, dot []float64, dy, x, mean, scale, shift []float32, relu bool) {
	t.Helper()
	ws, wd := make([]float64, bn.n), make([]float64, bn.n)
	if relu {
		bn.GradSumsReLU(ws, wd, dy, x, mean, scale, shift)
	} else {
		bn.GradSums(ws, wd, dy, x, mean)
	}
	for c := range ws {
		if math.Float64bits(sum[c]) != math.Float64bits(ws[c]) || math.Float64bits(dot[c]) != math.Float64bits(wd[c]) {
			t.Fatalf("%s: channel %d: sums %v, %v from the runs, %v, %v by the pass", name, c, sum[c], dot[c], ws[c], wd[c])
		}
	}
}

// runsOperands draws x, dy and the normalization's per-channel operands.
func runsOperands(r *rand.Rand, m, c int) (x, dy, mean, scale, shift []float32) {
	return randSlice(r, m*c), randSlice(r, m*c), randSlice(r, c), randSlice(r, c), randSlice(r, c)
}

// TestBNRunsSameBits holds GradSumsRuns, after every sample was given in
// a shuffled order, to GradSums and GradSumsReLU, bit for bit, on one
// worker and two, with the assembly loops and without.
func TestBNRunsSameBits(t *testing.T) {
	defer SetWorkers(0)
	defer func() { bnVecOff = false }()
	r := rand.New(rand.NewPCG(81, 82))
	for _, cs := range runsCases {
		m := cs.n * cs.per
		x, dy, mean, scale, shift := runsOperands(r, m, cs.c)
		for _, relu := range []bool{false, true} {
			for _, vec := range []bool{true, false} {
				for _, workers := range []int{1, 2} {
					SetWorkers(workers)
					bnVecOff = !vec
					name := fmt.Sprintf("%+v/relu=%v/vec=%v/workers=%d", cs, relu, vec, workers)
					bn := NewBatchNorm(m, cs.c)
					runs := bn.NewRuns(cs.per)
					runs.Set(x, mean, scale, shift, relu)
					for _, s := range r.Perm(cs.n) {
						runs.Sample(s, dy[s*cs.per*cs.c:(s+1)*cs.per*cs.c])
					}
					sum, dot := make([]float64, cs.c), make([]float64, cs.c)
					bn.GradSumsRuns(sum, dot, dy, runs)
					checkRunSums(t, name, bn, sum, dot, dy, x, mean, scale, shift, relu)
				}
			}
		}
	}
}

// TestBNRunsProducers holds the sums a convolution's backward pass and a
// max pooling's take while they write the gradient (SetGradRuns,
// MaxPool2DWinsBackwardSetRuns) to GradSums and GradSumsReLU of that
// gradient, bit for bit: the convolution on each of its paths, through
// Backward and BackwardBN, setting dx and adding into zeros, on one
// worker and two.
func TestBNRunsProducers(t *testing.T) {
	defer SetWorkers(0)
	defer func() { shiftedOff, gemmDXOff = false, false }()
	r := rand.New(rand.NewPCG(83, 84))
	for _, c := range []convCase{convCases[1], convCases[4], convCases[8], {3, 14, 14, 32, 3, 3, 16, 1, 1, 1, 1, 1, 1}} {
		for _, path := range []string{"shifted", "convdx", "im2col"} {
			shiftedOff, gemmDXOff = path == "im2col", path == "convdx"
			for _, viaBN := range []bool{false, true} {
				for _, setDX := range []bool{false, true} {
					for _, workers := range []int{1, 2} {
						SetWorkers(workers)
						relu := workers == 2
						name := fmt.Sprintf("%v/%s/bn=%v/set=%v/workers=%d", c, path, viaBN, setDX, workers)
						cv := NewConv2D(c.n, c.c, c.f, c.window())
						oh, ow := cv.OutShape()
						m := c.n * c.h * c.w
						x, w := randSlice(r, m*c.c), randSlice(r, c.kh*c.kw*c.c*c.f)
						dy := randSlice(r, c.n*oh*ow*c.f)
						nx, _, mean, scale, shift := runsOperands(r, m, c.c) // the normalization x is the output of
						bn := NewBatchNorm(m, c.c)
						runs := bn.NewRuns(c.h * c.w)
						runs.Set(nx, mean, scale, shift, relu)
						cv.SetGradRuns(runs)
						cv.SetGrads(setDX, false, false)
						cv.Forward(make([]float32, len(dy)), x, w, nil, false)
						dx := make([]float32, len(x))
						if viaBN {
							g := &BNGrad{DZ: dy, Y: randSlice(r, len(dy))}
							for _, p := range []*[]float32{&g.A, &g.B, &g.Mean, &g.D} {
								*p = randSlice(r, c.f)
							}
							cv.BackwardBN(dx, nil, nil, g, x, w)
						} else {
							cv.Backward(dx, nil, nil, dy, x, w, nil, false)
						}
						sum, dot := make([]float64, c.c), make([]float64, c.c)
						bn.GradSumsRuns(sum, dot, dx, runs)
						checkRunSums(t, name, bn, sum, dot, dx, nx, mean, scale, shift, relu)
					}
				}
			}
		}
	}
	for _, s := range [][4]int{{4, 28, 28, 32}, {3, 14, 14, 64}, {2, 7, 9, 5}} {
		n, h, wd, c := s[0], s[1], s[2], s[3]
		g, wins, dy := pooledCase(r, n, h, wd, c)
		x, _, mean, scale, shift := runsOperands(r, n*h*wd, c)
		bn := NewBatchNorm(n*h*wd, c)
		runs := bn.NewRuns(h * wd)
		runs.Set(x, mean, scale, shift, true)
		dx := make([]float32, n*h*wd*c)
		MaxPool2DWinsBackwardSetRuns(dx, dy, wins, n, c, g, runs)
		sum, dot := make([]float64, c), make([]float64, c)
		bn.GradSumsRuns(sum, dot, dx, runs)
		checkRunSums(t, fmt.Sprint("pool ", s), bn, sum, dot, dx, x, mean, scale, shift, true)
	}
}

// TestBNRunsPanics checks that runs refuse samples that do not split the
// rows, producers of another shape and another normalization's pass.
func TestBNRunsPanics(t *testing.T) {
	bn := NewBatchNorm(12, 4)
	mustPanic(t, "5-row samples of 12 rows", func() { bn.NewRuns(5) })
	runs := bn.NewRuns(6)
	c := convCases[1] // 3 samples of 9×8×3
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	mustPanic(t, "convolution of another shape", func() { cv.SetGradRuns(runs) })
	mustPanic(t, "runs without Set", func() { bn.GradSumsRuns(make([]float64, 4), make([]float64, 4), make([]float32, 48), runs) })
	runs.Set(make([]float32, 48), make([]float32, 4), nil, nil, false)
	other := NewBatchNorm(12, 4)
	mustPanic(t, "another normalization's runs", func() { other.GradSumsRuns(make([]float64, 4), make([]float64, 4), make([]float32, 48), runs) })
}
