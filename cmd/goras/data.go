package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/spf13/pflag"
)

// mnistTrainSize is the number of MNIST training images, and of
// Fashion-MNIST's. LoadData checks the files' SHA-256s, so it is always
// this many; flags that count in training steps (--limit, the schedules'
// defaults) are checked against it before the data is loaded.
const mnistTrainSize = 60000

// addDataDirFlag adds --data-dir, shared by train and evaluate.
func addDataDirFlag(fl *pflag.FlagSet, dir *string) {
	fl.StringVar(dir, "data-dir", "", "`DIR` holding the four files of --dataset, searched first (default: for\n"+
		"mnist $"+mnist.EnvDir+", then the cache, the Go module cache, then download; for\n"+
		"fashion_mnist $"+fashionmnist.EnvDir+", the cache, "+fashionmnist.DebianDir+"\n(Debian's dataset-fashion-mnist), then download)")
}

// checkDataDir makes sure a --data-dir names an existing directory that
// holds at least one of the files of dataset (MNIST's and Fashion-MNIST's
// have the same names), so that a typo or an empty folder is reported at
// once instead of after the model is built (LoadData refuses it too, but
// in the words of its Go API).
func checkDataDir(dir, dataset string) error {
	if dir == "" {
		return nil
	}
	title, fallback := "MNIST", "$"+mnist.EnvDir+", the cache, the Go module cache or a download"
	if dataset == datasetFashion {
		title, fallback = "Fashion-MNIST", "$"+fashionmnist.EnvDir+", the cache, "+fashionmnist.DebianDir+" or a download"
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	var names []string
	for _, f := range mnist.Files() {
		names = append(names, f.Name)
	}
	want := fmt.Sprintf("it should hold the four %s files, %s (gzipped or not)", title, strings.Join(names, ", "))
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
	return fmt.Errorf("--data-dir %s %s; %s. Copy them there, or leave out --data-dir to take them from %s",
		dir, state, want, fallback)
}

// loadDataset loads the named data set (mnist or fashion_mnist), searching
// dir first when it is set, and logs where the files came from to log.
func loadDataset(ctx context.Context, dataset, dir string, log io.Writer) (train, test mnist.Dataset, err error) {
	if dataset == datasetFashion {
		opts := []fashionmnist.Option{fashionmnist.WithLogger(log), fashionmnist.WithContext(ctx)}
		if dir != "" {
			opts = append(opts, fashionmnist.WithDir(dir))
		}
		return fashionmnist.LoadData(opts...)
	}
	opts := []mnist.Option{mnist.WithLogger(log), mnist.WithContext(ctx)}
	if dir != "" {
		opts = append(opts, mnist.WithDir(dir))
	}
	return mnist.LoadData(opts...)
}

// printScores prints the line every run ends with, "test_loss: X -
// test_accuracy: Y" for a data set's test pictures; on a --data folder's
// validation pictures, which is all it holds beside the training ones,
// Keras's names for them: "val_loss: X - val_accuracy: Y".
func printScores(w io.Writer, prefix string, scores goras.Logs) error {
	_, err := fmt.Fprintf(w, "%s_loss: %.4f - %s_accuracy: %.4f\n", prefix, scores["loss"], prefix, scores["accuracy"])
	return err
}
