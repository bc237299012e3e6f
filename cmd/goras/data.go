package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// mnistTrainSize is the number of MNIST training images. LoadData checks
// the files' SHA-256s, so it is always this many; flags that count in
// training steps (--limit, the schedules' defaults) are checked against it
// before the data is loaded.
const mnistTrainSize = 60000

// checkDataDir makes sure a --data-dir names an existing directory that
// holds at least one of the MNIST files, so that a typo or an empty folder
// is reported at once instead of after the model is built (mnist.LoadData
// refuses it too, but in the words of its Go API).
func checkDataDir(dir string) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	var names []string
	for _, f := range mnist.Files() {
		names = append(names, f.Name)
	}
	want := fmt.Sprintf("it should hold the four MNIST files, %s (gzipped or not)", strings.Join(names, ", "))
	if !fi.IsDir() {
		return fmt.Errorf("--data-dir %s is not a directory; %s", dir, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("--data-dir %s: %v", dir, pathless(err))
	}
	for _, f := range mnist.Files() {
		raw := f.RawName()
		for _, name := range []string{f.Name, raw, strings.Replace(raw, "-idx", ".idx", 1)} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return nil // mnist.LoadData says what is wrong with the files, if anything
			}
		}
	}
	state := "is empty"
	if len(entries) > 0 {
		state = fmt.Sprintf("holds none of them (%d other entries)", len(entries))
	}
	return fmt.Errorf("--data-dir %s %s; %s. Copy them there, or leave out --data-dir to take them from $%s, the cache, the Go module cache or a download",
		dir, state, want, mnist.EnvDir)
}

// loadMNIST loads MNIST, searching dir first when it is set, and logs where
// the files came from to log.
func loadMNIST(ctx context.Context, dir string, log io.Writer) (train, test mnist.Dataset, err error) {
	opts := []mnist.Option{mnist.WithLogger(log), mnist.WithContext(ctx)}
	if dir != "" {
		opts = append(opts, mnist.WithDir(dir))
	}
	return mnist.LoadData(opts...)
}

// prepare turns a data set into what model m trains on: the images as the
// model's input, kept as uint8 pixels and scaled to [0, 1] batch by batch
// (goras.Data), with a channel axis for an input of (28, 28, 1); labels as
// class indices for a sparse loss and one-hot vectors otherwise. A model
// taking another shape of the same size (e.g. (784)) gets a float32 copy.
func prepare(d mnist.Dataset, m *goras.Model, loss losses.Loss) (x, y goras.Data, err error) {
	in := m.InputShape()
	switch {
	case tensor.SameShape(d.X.Shape()[1:], in):
		x = d.X
	case tensor.SameShape(d.X.WithChannelAxis().Shape()[1:], in):
		x = d.X.WithChannelAxis()
	default:
		if x, err = d.X.Float32().Reshape(append([]int{d.X.N}, in...)...); err != nil {
			return nil, nil, fmt.Errorf("the model takes inputs of shape %s, which MNIST's 28×28 images cannot be reshaped to: %w",
				tensor.ShapeString(in, true), err)
		}
	}
	if _, sparse := loss.(losses.SparseCategoricalCrossentropy); sparse {
		return x, d.Y, nil
	}
	classes := 10
	if out := m.OutputShape(); len(out) > 0 {
		classes = out[len(out)-1]
	}
	y, err = mnist.ToCategorical(d.Y, classes)
	return x, y, err
}

// printScores prints the line every run ends with.
func printScores(w io.Writer, scores goras.Logs) error {
	_, err := fmt.Fprintf(w, "test_loss: %.4f - test_accuracy: %.4f\n", scores["loss"], scores["accuracy"])
	return err
}
