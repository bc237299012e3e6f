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

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
)

// subsets returns the first nTrain training and nTest test images of MNIST.
func subsets(t *testing.T, nTrain, nTest int) (train, test mnist.Dataset) {
	t.Helper()
	tr, te, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	return mnist.Dataset{X: tr.X.Slice(0, nTrain), Y: tr.Y[:nTrain]}, mnist.Dataset{X: te.X.Slice(0, nTest), Y: te.Y[:nTest]}
}

// One epoch on 6,000 images: dividing by 255 gives a lower loss than raw
// pixels; BatchNormalization after the
// first Dense layer makes the scale of the pixels all but irrelevant (the
// raw and the scaled BatchNorm runs end within 1 % of each other) and
// rescues the raw pixels.
func TestScalingFirstEpoch(t *testing.T) {
	train, test := subsets(t, 6000, 1000)
	runs, err := trainAll(io.Discard, train, test, options{epochs: 1, seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := func(i int, key string) float64 { return runs[i].history.History[key][0] }
	raw, scaled, rawBN, scaledBN := 0, 1, 2, 3
	t.Logf("first-epoch loss: raw %.4f, /255 %.4f, raw+BN %.4f, /255+BN %.4f", first(raw, "loss"), first(scaled, "loss"), first(rawBN, "loss"), first(scaledBN, "loss"))
	if first(scaled, "loss") >= first(raw, "loss") {
		t.Errorf("first-epoch loss on pixels/255 %.4f is not below raw pixels' %.4f", first(scaled, "loss"), first(raw, "loss"))
	}
	if a, b := first(rawBN, "loss"), first(scaledBN, "loss"); math.Abs(a-b) > 0.01*b {
		t.Errorf("with BatchNormalization, raw pixels' loss %.5f and scaled pixels' %.5f differ by more than 1 %%", a, b)
	}
	if first(rawBN, "loss") >= first(raw, "loss")/1.5 {
		t.Errorf("BatchNormalization on raw pixels: loss %.4f, not well below raw pixels' %.4f", first(rawBN, "loss"), first(raw, "loss"))
	}
}

// firstUnit, the hand computation the chapter prints, equals what goras's
// Dense layer computes with the same weights, and on raw pixels it is 255
// times what it is on scaled ones (the initial bias is 0).
func TestFirstUnitByHand(t *testing.T) {
	train, _ := subsets(t, 20, 1)
	m, err := newModel(false, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	in := goras.Input(28, 28)
	out := goras.Call(layers.Dense(50), goras.Call(layers.Flatten(), in))
	dense, err := goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := dense.SetWeights(w[:2]); err != nil {
		t.Fatal(err)
	}
	got, err := dense.Predict(rawPixels(train.X), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	raw := firstUnit(train.X, w[0].Data(), w[1].Data()[0], 50, 1)
	scaled := firstUnit(train.X, w[0].Data(), w[1].Data()[0], 50, 255)
	for n := range raw {
		if g := float64(got.Data()[n*50]); math.Abs(g-raw[n]) > 1e-4*(1+math.Abs(raw[n])) {
			t.Errorf("image %d: goras's Dense gives %g, the hand sum %g", n, g, raw[n])
		}
		if math.Abs(raw[n]-255*scaled[n]) > 1e-9*(1+math.Abs(raw[n])) {
			t.Errorf("image %d: raw %g is not 255 × scaled %g", n, raw[n], scaled[n])
		}
	}
}

// The whole chapter on 1,000 images for one epoch: the printed table has
// one row per epoch and the picture is a PNG of two panels.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(&out, options{out: dir, epochs: 2, train: 1000, test: 200, seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"largest of the 10 probabilities", "\n    1 ", "\n    2 ", "06-scaling.png"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	f, err := os.Open(filepath.Join(dir, "06-scaling.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width < 2*cfg.Height {
		t.Errorf("06-scaling.png: %d×%d, %v; want a PNG of two panels side by side", cfg.Width, cfg.Height, err)
	}
	if err := run(io.Discard, options{out: dir, epochs: 0, train: 1000, test: 200}); err == nil || !strings.Contains(err.Error(), "-epochs") {
		t.Errorf("-epochs 0: error %v, want one naming -epochs", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
