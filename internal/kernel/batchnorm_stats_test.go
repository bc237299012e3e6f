package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBNStatsTaken holds the batch statistics a convolution's Forward
// takes as it writes each sample (SetOutputStats, then StatsTaken) to
// Stats of its output, bit for bit, on one worker and two, over two
// passes (the counts start again), with chunks of several samples and
// samples of several chunks.
func TestBNStatsTaken(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(91, 92))
	for _, c := range []convCase{
		{6, 28, 28, 3, 3, 3, 32, 1, 1, 1, 1, 1, 1},
		{5, 14, 14, 8, 3, 3, 64, 1, 1, 1, 1, 1, 1},
		{4, 9, 8, 3, 3, 3, 5, 1, 1, 1, 1, 1, 1},
		{4, 60, 60, 2, 3, 3, 24, 1, 1, 0, 0, 0, 0},
	} {
		for _, workers := range []int{1, 2} {
			SetWorkers(workers)
			name := fmt.Sprintf("%v/workers=%d", c, workers)
			cv := NewConv2D(c.n, c.c, c.f, c.window())
			if !cv.TakesStats() {
				t.Fatalf("%s: no statistics on the shifted path", name)
			}
			oh, ow := cv.OutShape()
			m := c.n * oh * ow
			bn := NewBatchNorm(m, c.f)
			st := bn.NewStats(oh * ow)
			cv.SetOutputStats(st)
			w, bias := randSlice(r, c.kh*c.kw*c.c*c.f), randSlice(r, c.f)
			y := make([]float32, m*c.f)
			for pass := range 2 {
				x := randSlice(r, c.n*c.h*c.w*c.c)
				cv.Forward(y, x, w, bias, pass == 1)
				mean, variance := make([]float64, c.f), make([]float64, c.f)
				bn.StatsTaken(mean, variance, st)
				wm, wv := make([]float64, c.f), make([]float64, c.f)
				NewBatchNorm(m, c.f).Stats(wm, wv, y)
				for ch := range wm {
					if math.Float64bits(mean[ch]) != math.Float64bits(wm[ch]) || math.Float64bits(variance[ch]) != math.Float64bits(wv[ch]) {
						t.Fatalf("%s pass %d: channel %d: mean, variance %v, %v taken, %v, %v by Stats", name, pass, ch, mean[ch], variance[ch], wm[ch], wv[ch])
					}
				}
			}
		}
	}
	// A Forward that did not write with the statistics leaves chunks waiting.
	c := convCase{4, 9, 8, 3, 3, 3, 5, 1, 1, 1, 1, 1, 1}
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	oh, ow := cv.OutShape()
	bn := NewBatchNorm(c.n*oh*ow, c.f)
	st := bn.NewStats(oh * ow)
	st.start(make([]float32, c.n*oh*ow*c.f))
	mustPanic(t, "chunks still waiting", func() { bn.StatsTaken(make([]float64, c.f), make([]float64, c.f), st) })
	mustPanic(t, "another shape", func() { NewConv2D(c.n, c.c, c.f+1, c.window()).SetOutputStats(st) })
}
