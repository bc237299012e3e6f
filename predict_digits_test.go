package goras_test

import (
	"context"
	"fmt"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/internal/testdigits"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// TestPredictOwnDigits is issue 5's end-to-end check: a LeNet-5 trained for
// one epoch on MNIST recognises at least 18 of 20 test digits re-drawn at
// other sizes, colours and positions and saved as PNG files, read back
// through mnist.LoadImages (PrepareImage).
func TestPredictOwnDigits(t *testing.T) {
	if testing.Short() {
		t.Skip("trains LeNet-5 on real MNIST; skipped with -short")
	}
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	model := lenet5() // convnet_test.go
	model.SetSeed(7)
	adam, err := optimizers.NewAdam()
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	// One epoch over the first 30,000 training digits: 7 s of training on
	// two shared cores, and it read all 20 digits, drawn or not, when this
	// test was written.
	const trainN = 30000
	t0 := time.Now()
	_, err = model.Fit(context.Background(), train.X.Slice(0, trainN).WithChannelAxis(), train.Y[:trainN],
		goras.BatchSize(64), goras.Epochs(1), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained in %v", time.Since(t0))

	dir := t.TempDir()
	schemes := [][2]color.RGBA{
		{{0, 0, 0, 255}, {255, 255, 255, 255}},    // pencil on paper
		{{255, 255, 255, 255}, {0, 0, 0, 255}},    // chalk on a board
		{{30, 40, 200, 255}, {250, 235, 90, 255}}, // blue on yellow
		{{70, 60, 50, 255}, {230, 225, 210, 255}}, // grey on cream
	}
	var paths []string
	var want []int
	for i := range 20 {
		k := 2 + i%4 // 56 to 140 pixels a digit
		s := schemes[i%len(schemes)]
		img := testdigits.Picture(test.X.Image(i), k, 28*k+13*(i%5)+7, 28*k+9*(i%3)+5, 3+3*(i%5), 2+4*(i%3), s[0], s[1])
		p := filepath.Join(dir, fmt.Sprintf("digit%02d.png", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		want = append(want, int(test.Y[i]))
	}
	x, err := mnist.LoadImages(paths...)
	if err != nil {
		t.Fatal(err)
	}
	x4, err := x.Reshape(20, 28, 28, 1)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := model.Predict(x4, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got := tensor.ArgMax(probs)
	right := 0
	for i := range got {
		if got[i] == want[i] {
			right++
		} else {
			t.Logf("%s: a %d read as %d", filepath.Base(paths[i]), want[i], got[i])
		}
	}
	// The same model on the untouched digits, for comparison.
	orig, err := model.Predict(test.X.Slice(0, 20).WithChannelAxis(), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	origRight := 0
	for i, p := range tensor.ArgMax(orig) {
		if p == want[i] {
			origRight++
		}
	}
	t.Logf("re-drawn digits: %d/20 right; the same digits from the data set: %d/20", right, origRight)
	if right < 18 {
		t.Errorf("%d of 20 re-drawn digits recognised, want at least 18", right)
	}
}
