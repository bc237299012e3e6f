package main

import (
	"bytes"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/examples/tutorial/internal/pagetest"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/recipes"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// With the defaults, the program's split is the recipe's (recipes.Split,
// what goras train --model fast uses): the same images and labels.
func TestSplitIsTheRecipes(t *testing.T) {
	train, _, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	xt, yt, xv, yv, err := split(train, defaults())
	if err != nil {
		t.Fatal(err)
	}
	rxt, ryt, rxv, ryv, err := recipes.Split(train)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		ours, rs goras.Data
	}{{"training images", xt, rxt}, {"training labels", yt, ryt}, {"validation images", xv, rxv}, {"validation labels", yv, ryv}} {
		if !slices.Equal(c.ours.Shape(), c.rs.Shape()) {
			t.Fatalf("%s: shape %v, the recipe's %v", c.name, c.ours.Shape(), c.rs.Shape())
		}
		rows := []int{0, 1, c.ours.Shape()[0] - 1}
		a := make([]float32, len(rows)*tensor.Numel(c.ours.Shape()[1:]))
		b := make([]float32, len(a))
		c.ours.Gather(a, rows)
		c.rs.Gather(b, rows)
		if !slices.Equal(a, b) {
			t.Errorf("%s: first, second and last rows differ from the recipe's", c.name)
		}
	}
}

// The hand-written digits look like their digits to a judge that knows
// nothing of neural networks: read as goras predict reads them, each one's
// nearest MNIST training image (Euclidean distance over the first 20,000)
// shows the same digit, for at least 8 of the 10 (9 do). A stroke table that
// draws wrong shapes fails.
func TestHandDigitsLookRight(t *testing.T) {
	train, _, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	right := 0
	for d := range 10 {
		path := filepath.Join(dir, "digit.png")
		if err := writeDigit(path, d); err != nil {
			t.Fatal(err)
		}
		px, err := mnist.LoadImage(path)
		if err != nil {
			t.Fatalf("digit %d: %v", d, err)
		}
		best, bestDist := -1, math.Inf(1)
		for i := range 20000 {
			dist := 0.0
			for j, p := range train.X.Image(i) {
				v := float64(px[j]) - float64(p)/255
				dist += v * v
			}
			if dist < bestDist {
				best, bestDist = i, dist
			}
		}
		t.Logf("digit %d: nearest training image %d, a %d (distance %.2f)", d, best, train.Y[best], math.Sqrt(bestDist))
		if int(train.Y[best]) == d {
			right++
		}
	}
	if right < 8 {
		t.Errorf("%d of 10 hand-written digits have a nearest MNIST image of the same digit, want ≥ 8", right)
	}
}

// The chapter's two steps on 1,000 training images for one epoch: the
// recipe trains and prints its lines, the saved model gives the trained
// one's probabilities bit for bit on the ten hand-written digits, and the
// pictures are written. (Accuracy needs the full run: the recipe's
// schedule and its batch normalization are laid out for 1,290 steps, this
// runs 8.)
func TestTrainSaveRead(t *testing.T) {
	dir := t.TempDir()
	o := defaults()
	o.out, o.save, o.train, o.val, o.test, o.epochs = dir, filepath.Join(dir, "fast.safetensors"), 1000, 200, 200, 1
	var out bytes.Buffer
	model, err := trainFast(&out, o)
	if err != nil {
		t.Fatal(err)
	}
	trained, err := readOwn(&out, model, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`recipe "fast"`, "8/8 - ", "val_accuracy: ", " of 200 wrong)", "10-hand-7.png: ", "read right: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	for _, name := range []string{"10-curves.png", "10-hand-0.png", "10-hand-9.png", "10-hand-seen.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		_, err = png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	loaded, err := saving.Load(o.save)
	if err != nil {
		t.Fatal(err)
	}
	again, err := readOwn(io.Discard, loaded, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(trained.probs) != 100 || !slices.Equal(trained.probs, again.probs) {
		t.Errorf("the saved model's probabilities on the hand-written digits differ from the trained model's")
	}
	o.val = 0
	if err := run(io.Discard, o); err == nil || !strings.Contains(err.Error(), "-val") {
		t.Errorf("-val 0: error %v, want one naming -val", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
