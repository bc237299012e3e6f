package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2DWinsAffine holds MaxPool2DWinsAffine to MaxPool2DWins of the
// map's output written out first by the normalization's own loop: the
// same outputs and winners, bit for bit, with and without the ReLU, the
// assembly loops on and off, on odd and even sizes and channel counts on
// and off the vector widths, and x holding ties, ±0, NaNs and infinities.
func TestMaxPool2DWinsAffine(t *testing.T) {
	defer func() { poolVecOff, bnVecOff = false, false }()
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(71, 72))
	shapes := [][4]int{{2, 28, 28, 32}, {3, 14, 14, 64}, {2, 7, 5, 3}, {2, 5, 7, 16}, {1, 10, 9, 17}, {2, 2, 2, 8}, {1, 9, 11, 40}}
	for _, s := range shapes {
		n, h, w, c := s[0], s[1], s[2], s[3]
		g := win(h, w, 2, 2, 2, 2, 0, 0, 0, 0)
		oh, ow := g.Out()
		x := winsData(r, n*h*w*c)
		scale, shift := winsData(r, c), randSlice(r, c)
		scale[0] = 0 // every value of channel 0 maps to shift: ties throughout
		for _, relu := range []bool{false, true} {
			for _, vec := range []bool{true, false} {
				for _, workers := range []int{1, 2} {
					poolVecOff, bnVecOff = !vec, !vec
					SetWorkers(workers)
					name := fmt.Sprintf("%v/relu=%v/vec=%v/workers=%d", s, relu, vec, workers)
					a := make([]float32, len(x))
					if relu {
						ChannelAffineReLU(a, x, scale, shift, n*h*w, c)
					} else {
						ChannelAffine(a, x, scale, shift, n*h*w, c)
					}
					wantY, wantW := make([]float32, n*oh*ow*c), make([]uint8, n*oh*ow*c)
					MaxPool2DWins(wantY, wantW, a, n, c, g)
					gotY, gotW := make([]float32, len(wantY)), make([]uint8, len(wantW))
					MaxPool2DWinsAffine(gotY, gotW, x, scale, shift, relu, n, c, g)
					for i := range wantY {
						if math.Float32bits(gotY[i]) != math.Float32bits(wantY[i]) || gotW[i] != wantW[i] {
							t.Fatalf("%s: output %d = %v at %d through the map, %v at %d from its output", name, i, gotY[i], gotW[i], wantY[i], wantW[i])
						}
					}
				}
			}
		}
	}
	mustPanic(t, "short shift", func() {
		g := win(4, 4, 2, 2, 2, 2, 0, 0, 0, 0)
		MaxPool2DWinsAffine(make([]float32, 4*3), make([]uint8, 4*3), make([]float32, 16*3), make([]float32, 3), make([]float32, 2), true, 1, 3, g)
	})
}

// TestMaxPool2DWinsBackwardRuns holds MaxPool2DWinsBackwardRuns to
// MaxPool2DWinsBackwardSet: the normalization's sums from its runs have
// the bits of GradSumsReLU of the whole gradient, and dx holds that
// gradient's values on the rows of every run that straddles two samples
// (the rest left as it was: NaN here).
func TestMaxPool2DWinsBackwardRuns(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(73, 74))
	for _, s := range [][4]int{{4, 28, 28, 32}, {3, 14, 14, 64}, {5, 7, 9, 5}, {3, 8, 8, 16}} {
		n, h, w, c := s[0], s[1], s[2], s[3]
		g, wins, dy := pooledCase(r, n, h, w, c)
		want := make([]float32, n*h*w*c)
		MaxPool2DWinsBackwardSet(want, dy, wins, n, c, g)
		x, mean, scale, shift := randSlice(r, n*h*w*c), randSlice(r, c), randSlice(r, c), randSlice(r, c)
		for _, workers := range []int{1, 2} {
			SetWorkers(workers)
			name := fmt.Sprintf("%v/workers=%d", s, workers)
			bn := NewBatchNorm(n*h*w, c)
			runs := bn.NewRuns(h * w)
			runs.Set(x, mean, scale, shift, true)
			dx := make([]float32, len(want))
			for i := range dx {
				dx[i] = float32(math.NaN())
			}
			MaxPool2DWinsBackwardRuns(dx, dy, wins, n, c, g, runs)
			sum, dot := make([]float64, c), make([]float64, c)
			bn.GradSumsRuns(sum, dot, dx, runs)
			checkRunSums(t, name, bn, sum, dot, want, x, mean, scale, shift, true)
			written := 0
			for k := range bn.chunks {
				for j := range runs.perCh {
					r0, r1 := runs.run(k, j)
					if r0 >= r1 || runs.inside(r0, r1) {
						continue
					}
					for i := r0 * c; i < r1*c; i++ {
						if math.Float32bits(dx[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: dx[%d] = %v on a straddling run, want %v", name, i, dx[i], want[i])
						}
						written++
					}
				}
			}
			if h*w%colRun != 0 && written == 0 {
				t.Fatalf("%s: no straddling run checked", name)
			}
		}
	}
}

// pooledCase is a 2×2 max pooling of n samples (h, w, c) of winsData,
// ties and NaNs among them: its geometry, its winners and a gradient of
// its output.
func pooledCase(r *rand.Rand, n, h, w, c int) (Window, []uint8, []float32) {
	g := win(h, w, 2, 2, 2, 2, 0, 0, 0, 0)
	oh, ow := g.Out()
	wins := make([]uint8, n*oh*ow*c)
	MaxPool2DWins(make([]float32, len(wins)), wins, winsData(r, n*h*w*c), n, c, g)
	return g, wins, randSlice(r, len(wins))
}
