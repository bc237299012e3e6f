package main

import (
	"fmt"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/imagefolder"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/tensor"
	"github.com/spf13/cobra"
)

// checkFolderFlags refuses, before anything is loaded, the flags that do
// not go with --data: a named data set, and --errors, which draws 28×28
// digits.
func (f *evaluateFlags) checkFolderFlags(changed func(string) bool) error {
	if f.data == "" {
		return nil
	}
	for _, flag := range []string{"dataset", "data-dir", "errors"} {
		if changed(flag) {
			return fmt.Errorf("--data evaluates on a folder of pictures and does not take --%s; leave one of the two out", flag)
		}
	}
	return nil
}

// evaluateFolder is goras evaluate --data DIR on the float model m (loaded
// from path, compiled with loss): every picture of the folder, read as
// goras train --data reads it (resized to the model's input, in its colour
// mode, classes numbered by the model's class names when it has them, else
// by the sorted folder names), then the confusion matrix and report with
// the class names, and the scores.
func evaluateFolder(cmd *cobra.Command, f *evaluateFlags, path string, m *goras.Model, loss losses.Loss) error {
	h, w, mode, err := predict.PictureInput(m, path, "--data")
	if err != nil {
		return err
	}
	labels := "categorical"
	if _, sparse := loss.(losses.SparseCategoricalCrossentropy); sparse {
		labels = "int"
	}
	opts := []imagefolder.Option{imagefolder.ImageSize(h, w), imagefolder.ColorMode(mode),
		imagefolder.LabelMode(labels), imagefolder.Shuffle(false), imagefolder.Logger(cmd.ErrOrStderr())}
	if names := m.ClassNames(); len(names) > 0 {
		opts = append(opts, imagefolder.ClassNames(names...))
	}
	ds, err := imagefolder.Load(f.data, opts...)
	if err != nil {
		return fmt.Errorf("--data: %s", strings.TrimPrefix(err.Error(), "imagefolder: "))
	}
	classes := len(ds.ClassNames)
	if out := m.OutputShape(); len(out) != 1 || out[0] != classes {
		return fmt.Errorf("%s outputs shape %s, but %s has %d classes (%s); evaluate needs a model with one output per class, (%d)",
			path, tensor.ShapeString(out, true), f.data, classes, strings.Join(ds.ClassNames, ", "), classes)
	}
	scores, err := m.Evaluate(ds.X, ds.Y, goras.BatchSize(f.batchSize), goras.Verbose(0))
	if err != nil {
		return err
	}
	probs, err := m.Predict(ds.X, goras.BatchSize(f.batchSize), goras.Verbose(0))
	if err != nil {
		return err
	}
	cm := metrics.ConfusionMatrix(ds.Y.Indices(), tensor.ArgMax(probs), classes)
	cm.Labels = ds.ClassNames
	if err := writeConfusion(cmd, cm, f); err != nil {
		return err
	}
	return printScores(cmd.OutOrStdout(), "test", scores)
}
