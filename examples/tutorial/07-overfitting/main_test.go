package main

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/examples/tutorial/internal/pagetest"

	"github.com/goras-ml/goras/datasets/mnist"
)

// quick is the chapter scaled down to run in seconds: 300 training images,
// a network of two layers of 64, 15 epochs of batches of 25, 500
// validation images.
var quick = options{epochs: 15, batch: 25, train: 300, more: []int{1500}, val: 500, test: 200, hidden: 64, folds: 3, seed: 1}

func quickData(t *testing.T, o options) data {
	t.Helper()
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	return split(train, test, o)
}

// The cures at the quick setting, each against the plain run: the plain
// run's curves part; early stopping keeps the epoch of lowest validation
// loss; L2 holds the weights down; dropout narrows the loss gap;
// augmentation and more data narrow the accuracy gap by 40 % or more.
func TestCures(t *testing.T) {
	d := quickData(t, quick)
	rs, err := trainCures(context.Background(), io.Discard, d, cures(quick), quick)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]result{}
	for _, r := range rs {
		byName[r.cure.name] = r
		t.Logf("%-14s train %.4f val %.4f acc gap %.4f loss gap %.4f Σw² %.0f", r.cure.name, r.train["accuracy"],
			r.val["accuracy"], accGap(r), lossGap(r), r.squares)
	}
	plain := byName["no cure"]
	h := plain.history.History
	lowest := slices.Min(h["val_loss"])
	if g := accGap(plain); g < 0.08 {
		t.Errorf("no cure: train − validation accuracy %.4f, want the curves to part by 8 points or more", g)
	}
	if end := h["val_loss"][len(h["val_loss"])-1]; end <= lowest || h["loss"][len(h["loss"])-1] > end/10 {
		t.Errorf("no cure: validation loss ends at %.4f (lowest %.4f), training loss at %.4f; want the first to rise "+
			"from its lowest and the second to end far below it", end, lowest, h["loss"][len(h["loss"])-1])
	}
	// Same seed, same steps: early stopping's restored weights are the
	// plain run's at its best epoch.
	if got := byName["early stopping"].val["loss"]; math.Abs(got-lowest) > 1e-4 {
		t.Errorf("early stopping: validation loss %.6f, want the plain run's lowest %.6f", got, lowest)
	}
	if got := byName["L2 0.0001"].squares; got > 0.9*plain.squares {
		t.Errorf("L2: Σw² = %.1f, want at most 90 %% of the plain run's %.1f", got, plain.squares)
	}
	if got := lossGap(byName["dropout 0.5"]); got > 0.8*lossGap(plain) {
		t.Errorf("dropout: loss gap %.4f, want at most 80 %% of the plain run's %.4f", got, lossGap(plain))
	}
	for _, name := range []string{"augmentation", "1500 images"} {
		if got := accGap(byName[name]); got > 0.6*accGap(plain) {
			t.Errorf("%s: accuracy gap %.4f, want at most 60 %% of the plain run's %.4f", name, got, accGap(plain))
		}
	}
	if more := byName["1500 images"]; more.val["accuracy"] < plain.val["accuracy"]+0.03 {
		t.Errorf("1,500 images: validation accuracy %.4f, want 3 points above 300 images' %.4f", more.val["accuracy"], plain.val["accuracy"])
	}
}

func accGap(r result) float64  { return r.train["accuracy"] - r.val["accuracy"] }
func lossGap(r result) float64 { return r.val["loss"] - r.train["loss"] }

// k-fold cross-validation on the 300 training images: 3 folds of 100, and
// an estimate within 6 points of the accuracy on the 1,000 held-out
// validation images of a network trained on all 300.
func TestCrossValidate(t *testing.T) {
	o := quick
	d := quickData(t, o)
	res, err := crossValidate(context.Background(), io.Discard, d, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Folds) != 3 {
		t.Fatalf("%d folds, want 3", len(res.Folds))
	}
	for _, f := range res.Folds {
		if len(f.Test) != 100 || len(f.Train) != 200 {
			t.Errorf("fold %d: %d held out and %d trained on, want 100 and 200", f.Index, len(f.Test), len(f.Train))
		}
	}
	plain, err := trainCure(context.Background(), d, cures(o)[0], o)
	if err != nil {
		t.Fatal(err)
	}
	est, val := res.Mean["accuracy"], plain.val["accuracy"]
	t.Logf("k-fold %.4f ± %.4f, validation set %.4f", est, res.Std["accuracy"], val)
	if math.Abs(est-val) > 0.06 {
		t.Errorf("k-fold estimate %.4f is more than 6 points from the validation set's %.4f", est, val)
	}
}

// The whole chapter at a tiny setting: a table row and a picture per run,
// the picture of augmented digits, and the cross-validation table.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	o := options{out: dir, epochs: 4, batch: 50, train: 100, more: []int{200, 400}, val: 200, test: 100, hidden: 16, folds: 2, seed: 1}
	var out bytes.Buffer
	if err := run(&out, o); err != nil {
		t.Fatal(err)
	}
	names := []string{"07-augmented.png", "07-plain.png", "07-early-stopping.png", "07-l2.png", "07-dropout.png",
		"07-augmentation.png", "07-more-data-200.png"}
	for _, name := range names {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 200 || cfg.Height < 200 {
			t.Errorf("%s: %d×%d, %v; want a picture", name, cfg.Width, cfg.Height, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "07-more-data-400.png")); err == nil {
		t.Error("the run of one epoch on 400 images drew curves of one point")
	}
	for _, want := range []string{"no cure ", "early stopping ", "L2 0.0001 ", "dropout 0.5 ", "augmentation ", "200 images ", "400 images ", "mean ", " std "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	bad := o
	bad.more = []int{50}
	if err := run(io.Discard, bad); err == nil || !strings.Contains(err.Error(), "-more") {
		t.Errorf("-more 50 with -train 100: error %v, want one naming -more", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
