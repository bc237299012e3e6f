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

// printScores prints the line every run ends with.
func printScores(w io.Writer, scores goras.Logs) error {
	_, err := fmt.Fprintf(w, "test_loss: %.4f - test_accuracy: %.4f\n", scores["loss"], scores["accuracy"])
	return err
}
