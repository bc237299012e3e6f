package main

import (
	"bytes"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/examples/tutorial/internal/pagetest"

	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
)

// convolve and maxPool on numbers small enough to check by hand.
func TestConvolveByHand(t *testing.T) {
	img := [][]float64{
		{0, 1, 0, 0},
		{0, 1, 0, 0},
		{0, 0, 0, 0},
		{2, 0, 0, 1},
	}
	// Row above the centre minus row below, the middle counted twice:
	// out[0][0] = (0 + 2·1 + 0) − (0 + 0 + 0) = 2, out[0][1] = (1+0+0) − 0 = 1,
	// out[1][0] = (0 + 2·1 + 0) − (2 + 0 + 0) = 0, out[1][1] = (1 + 0 + 0) − (0 + 0 + 1) = 0.
	want := [][]float64{{2, 1}, {0, 0}}
	if got := convolve(img, edgeKernel); !equal(got, want) {
		t.Errorf("convolve = %v, want %v", got, want)
	}
	if got := maxPool(img); !equal(got, [][]float64{{1, 0}, {2, 1}}) {
		t.Errorf("maxPool = %v, want [[1 0] [2 1]]", got)
	}
	if got := pad([][]float64{{5}}, 1); !equal(got, [][]float64{{0, 0, 0}, {0, 5, 0}, {0, 0, 0}}) {
		t.Errorf("pad = %v", got)
	}
}

func equal(a, b [][]float64) bool {
	return slices.EqualFunc(a, b, func(x, y []float64) bool { return slices.Equal(x, y) })
}

// goras's Conv2D and MaxPooling2D on a real digit equal the hand float64
// convolution and pooling, value by value.
func TestSlideMatchesHand(t *testing.T) {
	_, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	s, err := slide(io.Discard, test.X, 0, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.goras) != 26 || len(s.goras[0]) != 26 || len(s.gorasPool) != 13 || len(s.gorasPool[0]) != 13 {
		t.Fatalf("goras's map %d×%d and pooled map %d×%d, want 26×26 and 13×13", len(s.goras), len(s.goras[0]), len(s.gorasPool), len(s.gorasPool[0]))
	}
	if d := maxDiff(s.hand, s.goras); d > 1e-5 {
		t.Errorf("goras's Conv2D differs from the hand convolution by up to %g", d)
	}
	if d := maxDiff(s.handPool, s.gorasPool); d > 1e-5 {
		t.Errorf("goras's MaxPooling2D differs from the hand pooling by up to %g", d)
	}
	if i, j := argmax(s.hand); s.hand[i][j] < 3.9 {
		t.Errorf("the strongest response of the edge kernel on the 7's bar is %.3f, want about 4 (ink 1 over paper 0, weights 1+2+1)", s.hand[i][j])
	}
}

// LeNet-5 as the chapter builds it is the zoo's lenet5 (goras train --model
// lenet5): the same weights from the same seed, and a digit's shape after
// each layer as the course draws it.
func TestLeNet5Shapes(t *testing.T) {
	ours := newLeNet5(1)
	if err := ours.Build(); err != nil {
		t.Fatal(err)
	}
	want := []string{"28×28×1", "28×28×6", "14×14×6", "10×10×16", "5×5×16", "400", "120", "84", "10"}
	if got := shapes(ours); !slices.Equal(got, want) {
		t.Errorf("shapes %v, want %v", got, want)
	}
	spec, err := applications.Get("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	zoo, err := spec.New(1)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := zoo.GetWeights()
	b, _ := ours.GetWeights()
	if len(a) != len(b) || ours.CountParams() != 61706 {
		t.Fatalf("%d weight tensors and %d params, the zoo's lenet5 %d and %d (want 61,706)", len(b), ours.CountParams(), len(a), zoo.CountParams())
	}
	for i := range a {
		if !slices.Equal(a[i].Data(), b[i].Data()) {
			t.Errorf("weight %d differs from the zoo's lenet5", i)
		}
	}
}

// Two epochs on 3,000 images reach 80 % on 500 test images, which a
// network that does not learn cannot; the first layer's maps match the
// hand convolution with padding, bias and relu.
func TestLabQuick(t *testing.T) {
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	o := defaults()
	o.out, o.epochs, o.batch, o.train, o.test = t.TempDir(), 2, 64, 3000, 500
	res, err := lab(io.Discard, mnist.Dataset{X: train.X.Slice(0, o.train), Y: train.Y[:o.train]},
		mnist.Dataset{X: test.X.Slice(0, o.test), Y: test.Y[:o.test]}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test accuracy %.4f, first layer by hand within %.2g", res.scores["accuracy"], res.handDiff)
	if acc := res.scores["accuracy"]; acc < 0.80 {
		t.Errorf("test accuracy %.4f after 2 epochs on 3,000 images, want ≥ 0.80", acc)
	}
	if res.handDiff > 1e-5 {
		t.Errorf("the first layer's maps differ from the hand convolution by up to %g", res.handDiff)
	}
}

// The whole chapter at a tiny setting writes its five pictures and prints
// the shapes and the test line.
func TestRun(t *testing.T) {
	o := defaults()
	o.out, o.epochs, o.train, o.test, o.digit = t.TempDir(), 1, 256, 100, 3
	var out bytes.Buffer
	if err := run(&out, o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Test image 3 (28×28)", "28×28×1 → 28×28×6 → 14×14×6", "test accuracy: ", "Total params: 61,706"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	for _, name := range []string{"09-convolution.png", "09-curves.png", "09-errors.png", "09-features.png"} {
		f, err := os.Open(filepath.Join(o.out, name))
		if err != nil {
			t.Error(err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 300 {
			t.Errorf("%s: %d×%d, %v", name, cfg.Width, cfg.Height, err)
		}
	}
	o.digit = 100
	if err := run(io.Discard, o); err == nil || !strings.Contains(err.Error(), "-digit") {
		t.Errorf("-digit 100 of 100 test images: error %v, want one naming -digit", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
