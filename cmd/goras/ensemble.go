package main

import (
	"fmt"
	"slices"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/ensemble"
	"github.com/spf13/cobra"
)

type ensembleFlags struct {
	tta       bool
	dataset   string
	dataDir   string
	batchSize int
}

func newEnsembleCmd() *cobra.Command {
	f := &ensembleFlags{}
	cmd := &cobra.Command{
		Use:   "ensemble MODEL_FILE...",
		Short: "Average the predictions of several models and print their test accuracy",
		Long: `Load several model files (written by goras train --output), average their
predicted class probabilities on the 10,000 test images of --dataset (MNIST
unless told otherwise), and print each
model's test accuracy, then the ensemble's as "test_accuracy: Y". Models trained
from different seeds make different mistakes, so their average makes fewer.

--tta also averages each model over the image and its four one-pixel shifts
(test-time augmentation).`,
		Example: `  goras ensemble best-1.safetensors best-2.safetensors best-3.safetensors
  goras ensemble --tta best-*.safetensors`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runEnsemble(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.tta, "tta", false, "test-time augmentation: average over the image and its four one-pixel shifts")
	addDatasetFlag(fl, &f.dataset)
	addDataDirFlag(fl, &f.dataDir)
	fl.IntVar(&f.batchSize, "batch-size", 1000, "images per prediction step")
	return cmd
}

func runEnsemble(cmd *cobra.Command, f *ensembleFlags, paths []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.batchSize < 1 {
		return fmt.Errorf("--batch-size must be at least 1, got %d", f.batchSize)
	}
	if !slices.Contains(datasetNames, f.dataset) {
		return unknownDataset(f.dataset)
	}
	if err := checkDataDir(f.dataDir, f.dataset); err != nil {
		return err
	}
	models, err := ensemble.Load(paths...)
	if err != nil {
		return err
	}
	_, test, err := loadDataset(cmd.Context(), f.dataset, f.dataDir, stderr)
	if err != nil {
		return err
	}
	var x goras.Data = test.X
	if m, ok := models[0].(*goras.Model); ok && len(m.InputShape()) == 3 {
		x = test.X.WithChannelAxis()
	}
	opts := []ensemble.Option{ensemble.WithBatchSize(f.batchSize)}
	if f.tta {
		opts = append(opts, ensemble.WithShifts(ensemble.TTAShifts...))
	}
	for i, m := range models {
		probs, err := ensemble.Predict([]ensemble.Model{m}, x, opts...)
		if err != nil {
			return fmt.Errorf("%s: %w", paths[i], err)
		}
		acc, err := ensemble.Accuracy(probs, test.Y)
		if err != nil {
			return fmt.Errorf("%s: %w", paths[i], err)
		}
		fmt.Fprintf(stdout, "%s: test_accuracy: %.4f\n", paths[i], acc)
	}
	probs, err := ensemble.Predict(models, x, opts...)
	if err != nil {
		return err
	}
	acc, err := ensemble.Accuracy(probs, test.Y)
	if err != nil {
		return err
	}
	how := ""
	if f.tta {
		how = " with test-time augmentation"
	}
	_, err = fmt.Fprintf(stdout, "ensemble of %d models%s: test_accuracy: %.4f\n", len(models), how, acc)
	return err
}
