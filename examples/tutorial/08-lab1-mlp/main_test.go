package main

import (
	"bytes"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras/examples/tutorial/internal/pagetest"

	"github.com/goras-ml/goras/applications"
)

// Four epochs of batches of 20 on 8,000 images (1,600 steps, a fifth of the
// lab's 6,000 on a sixth of the images) reach 80 % on 1,000 test images,
// which a model that does not learn (10 %), or learns from scrambled pixels
// or labels, cannot; and the last validation accuracy is Evaluate's.
func TestLabAccuracy(t *testing.T) {
	o := defaults()
	o.out, o.epochs, o.batch, o.train, o.test = t.TempDir(), 4, 20, 8000, 1000
	res, err := lab(io.Discard, o)
	if err != nil {
		t.Fatal(err)
	}
	acc := res.scores["accuracy"]
	t.Logf("test accuracy %.4f", acc)
	if acc < 0.80 {
		t.Errorf("test accuracy %.4f after 4 epochs on 8,000 images, want ≥ 0.80", acc)
	}
	if len(res.predicted) != 1000 {
		t.Fatalf("%d predictions for 1,000 test images", len(res.predicted))
	}
	if v := res.history.History["val_accuracy"]; len(v) != 4 || v[3] != acc {
		t.Errorf("val_accuracy per epoch %v, want 4 values ending at Evaluate's %.4f", v, acc)
	}
}

// The lab's network and settings are goras's zoo "mlp" (what `goras train`
// trains): the same layers give the same weights from the same seed, and
// the lab's defaults are the zoo's training settings.
func TestSameAsGorasTrain(t *testing.T) {
	spec, err := applications.Get("mlp")
	if err != nil {
		t.Fatal(err)
	}
	zoo, err := spec.New(1)
	if err != nil {
		t.Fatal(err)
	}
	ours := newModel(1)
	if err := ours.Build(); err != nil {
		t.Fatal(err)
	}
	a, _ := zoo.GetWeights()
	b, _ := ours.GetWeights()
	if len(a) != len(b) || ours.CountParams() != 39760 {
		t.Fatalf("the lab has %d weight tensors and %d params, the zoo's mlp %d and %d (want 39,760)", len(b), ours.CountParams(), len(a), zoo.CountParams())
	}
	for i := range a {
		for j, v := range a[i].Data() {
			if b[i].Data()[j] != v {
				t.Fatalf("weight %d[%d]: lab %g, zoo %g", i, j, b[i].Data()[j], v)
			}
		}
	}
	d := defaults()
	if d.epochs != spec.Epochs || d.batch != spec.BatchSize || d.rate != spec.LearningRate || spec.Optimizer != "sgd" || spec.Loss != "mean_squared_error" {
		t.Errorf("lab: %d epochs, batch %d, SGD %g; zoo: %d epochs, batch %d, %s %g, %s", d.epochs, d.batch, d.rate,
			spec.Epochs, spec.BatchSize, spec.Optimizer, spec.LearningRate, spec.Loss)
	}
}

// The whole lab at a tiny setting: the summary, one progress line per
// epoch, the test line and the four pictures.
func TestRun(t *testing.T) {
	o := defaults()
	o.out, o.epochs, o.train, o.test = t.TempDir(), 2, 1000, 100
	var out bytes.Buffer
	if err := run(&out, o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"x_train: (1000, 28, 28), y_train: (1000,)", "Total params: 39,760", "Epoch 2/2", "test accuracy: ", "predicted: ["} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	for _, name := range []string{"08-digits.png", "08-curves.png", "08-predictions.png", "08-confusion.png"} {
		f, err := os.Open(filepath.Join(o.out, name))
		if err != nil {
			t.Error(err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 200 {
			t.Errorf("%s: %d×%d, %v", name, cfg.Width, cfg.Height, err)
		}
	}
	o.rate = 0
	if err := run(io.Discard, o); err == nil || !strings.Contains(err.Error(), "-lr") {
		t.Errorf("-lr 0: error %v, want one naming -lr", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
