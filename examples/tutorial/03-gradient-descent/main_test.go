package main

import (
	"bytes"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras/examples/tutorial/internal/pagetest"

	"github.com/goras-ml/goras/tensor"
)

// mse is the mean squared error of ŷ = w·x on the points, in float64.
func mse(x, y *tensor.Tensor, w float64) float64 {
	var s float64
	for i, v := range x.Data() {
		d := w*float64(v) - float64(y.Data()[i])
		s += d * d
	}
	return s / float64(x.Len())
}

// TestCurvature: mean(x²) over x = -1.9, -1.7, …, 1.9 is
// 0.01·(1² + 3² + … + 19²)·2/20 = 0.01·2660/20 = 1.33, and w* minimizes
// the loss: the loss is higher on both sides.
func TestCurvature(t *testing.T) {
	x, y := points()
	a, best := curvature(x, y)
	if math.Abs(a-1.33) > 1e-6 {
		t.Errorf("a = mean(x²) = %v, want 1.33", a)
	}
	if l := mse(x, y, best); l >= mse(x, y, best-1e-3) || l >= mse(x, y, best+1e-3) {
		t.Errorf("w* = %v is not the minimum of the loss", best)
	}
}

// TestDescentFollowsTheFormula: each step of goras's SGD through
// TrainOnBatch is w ← w − lr·2a·(w − w*), computed here in float64, and
// each loss printed is the mean squared error at that w. The right rate
// ends on w*, the small one still far, the large one farther at every step.
func TestDescentFollowsTheFormula(t *testing.T) {
	x, y := points()
	a, best := curvature(x, y)
	for i, r := range rates {
		wk, err := descend(x, y, r.lr, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := start
		for s := range wk.w {
			if math.Abs(wk.w[s]-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Fatalf("lr %v step %d: goras w = %.6f, formula %.6f", r.lr, s, wk.w[s], want)
			}
			if l := mse(x, y, wk.w[s]); math.Abs(wk.loss[s]-l) > 1e-5*math.Max(1, l) {
				t.Errorf("lr %v step %d: loss %.6f, mean squared error %.6f", r.lr, s, wk.loss[s], l)
			}
			want -= r.lr * 2 * a * (want - best)
		}
		end := math.Abs(wk.w[len(wk.w)-1] - best)
		switch i {
		case 0:
			if end < 0.5 {
				t.Errorf("lr %v (too small) ended %.4f from w*, want still more than 0.5 away", r.lr, end)
			}
		case 1:
			if end > 1e-3 {
				t.Errorf("lr %v (about right) ended %.6f from w*, want within 0.001", r.lr, end)
			}
		case 2:
			for s := 1; s < len(wk.w); s++ {
				if math.Abs(wk.w[s]-best) <= math.Abs(wk.w[s-1]-best) {
					t.Errorf("lr %v (too large) step %d came closer to w*, want every step farther", r.lr, s)
				}
			}
		}
	}
}

// TestLossCurve: the curve drawn is the model's loss, the mean squared
// error at each w.
func TestLossCurve(t *testing.T) {
	x, y := points()
	curve, err := lossCurve(x, y, -1, 5, 13)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range curve {
		if l := mse(x, y, p.X); math.Abs(p.Y-l) > 1e-5*math.Max(1, l) {
			t.Errorf("loss at w = %v: %.6f, want %.6f", p.X, p.Y, l)
		}
	}
}

// TestTwoValleys: from w = 2 SGD stops in the local minimum, from w = -2 in
// the global one, each step being w ← w − lr·f'(w) as computed in float64.
func TestTwoValleys(t *testing.T) {
	walks, err := twoValleys(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	global, local := valleyBottoms()
	if valleyLoss(global) >= valleyLoss(local) || math.Abs(valleySlope(global)) > 1e-9 || math.Abs(valleySlope(local)) > 1e-9 {
		t.Fatalf("valley bottoms %v and %v are not the global and local minima", global, local)
	}
	for i, bottom := range []float64{local, global} {
		wk := walks[i]
		want := wk.start
		for s, w := range wk.w {
			if math.Abs(w-want) > 1e-4 {
				t.Fatalf("from %v, step %d: w = %.6f, formula %.6f", wk.start, s, w, want)
			}
			want -= valleyRate * valleySlope(float32ish(want))
		}
		if end := wk.w[len(wk.w)-1]; math.Abs(end-bottom) > 0.01 {
			t.Errorf("from %v: stopped at %.4f, want the minimum at %.4f", wk.start, end, bottom)
		}
	}
}

// float32ish rounds to float32, as goras holds the weight.
func float32ish(v float64) float64 { return float64(float32(v)) }

// TestRun runs the chapter with 4 steps, pictures going to a temporary
// directory, and checks the pictures' sizes (three panels of 4.2 × 3.4
// inches; one of 6 × 3.6, at 96 dpi) and that bad flags are refused.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(&out, options{Out: dir, Steps: 4}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "a local minimum") || !strings.Contains(out.String(), "the global minimum") {
		t.Errorf("the output does not name both minima:\n%s", out.String())
	}
	for name, size := range map[string][2]int{"03-rates.png": {1210, 326}, "03-local-minimum.png": {576, 346}} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() < size[0] || b.Dx() > size[0]+1 || b.Dy() < size[1] || b.Dy() > size[1]+1 {
			t.Errorf("%s is %v, want %d×%d", name, b.Size(), size[0], size[1])
		}
	}
	if err := run(&out, options{Out: dir, Steps: 0}); err == nil || !strings.Contains(err.Error(), "-steps 0") {
		t.Errorf("0 steps: error %v, want one naming -steps 0", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
