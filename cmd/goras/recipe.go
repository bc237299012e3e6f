package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/recipes"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// recipeFlags are the flags a fixed recipe (--model best, best-long, fast) takes: its
// network, optimizer, schedule, epochs and batch size were chosen on the
// validation split and are part of the recipe (docs/bounty.md).
var recipeFlags = map[string]bool{
	"model": true, "seed": true, "verbose": true, "data-dir": true,
	"output": true, "history": true, "plot": true,
}

// isRecipe reports whether --model names a fixed recipe.
func isRecipe(name string) bool {
	_, err := recipes.Get(strings.ToLower(strings.TrimSpace(name)))
	return err == nil
}

// runRecipe trains a recipe by its protocol: the first 55,000 training
// images, validation on the last 5,000 after every epoch, the test set once
// at the end.
func runRecipe(cmd *cobra.Command, f *trainFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	r, err := recipes.Get(strings.ToLower(strings.TrimSpace(f.model)))
	if err != nil {
		return err
	}
	var bad []string
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if !recipeFlags[fl.Name] {
			bad = append(bad, "--"+fl.Name)
		}
	})
	if len(bad) > 0 {
		return fmt.Errorf("--model %s is a fixed recipe (network, optimizer, schedule, %d epochs of batch %d; see docs/bounty.md) and does not take %s; it takes --seed, --verbose, --data-dir, --output, --history and --plot",
			r.Name, r.Epochs, r.BatchSize, strings.Join(bad, ", "))
	}
	if f.verbose < 0 || f.verbose > 2 {
		return fmt.Errorf("--verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got %d", f.verbose)
	}
	for _, check := range []func() error{
		func() error { return checkHistoryPath(f.history) },
		func() error { return checkOutputPath(f.output) },
		func() error { return checkPicturePath("--plot", f.plot) },
		func() error { return checkDataDir(f.dataDir) },
	} {
		if err := check(); err != nil {
			return err
		}
	}
	m, err := r.Build(f.seed)
	if err != nil {
		return err
	}
	if err := m.Summary(stdout); err != nil {
		return err
	}
	ctx := cmd.Context()
	train, test, err := loadMNIST(ctx, f.dataDir, stderr)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	fmt.Fprintf(stderr, "goras: recipe %s, seed %d: training on the first %d images, validating on the last %d; the test set is used once, at the end\n",
		r.Name, f.seed, recipes.TrainSamples, recipes.ValidationSamples)
	run := recipes.RunOptions{Verbose: f.verbose, Output: stdout}
	if f.verbose == 0 { // Run's zero Verbose means its default, one line per epoch
		run.Verbose, run.Output = 2, io.Discard
	}
	res, err := r.Run(ctx, f.seed, train, test, run)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return errInterrupted
		}
		return err
	}
	fmt.Fprintf(stderr, "goras: trained in %.1f s (%.1f s in all, data loading excluded)\n", res.Train.Seconds(), res.Total.Seconds())
	if f.history != "" {
		if err := res.History.Save(f.history); err != nil {
			return err
		}
	}
	if f.plot != "" {
		if err := plot.SaveCurves(res.History, f.plot); err != nil {
			return err
		}
	}
	if err := saveModel(res.Model, f.output, stderr); err != nil {
		return err
	}
	return printScores(stdout, map[string]float64{"loss": res.TestLoss, "accuracy": res.TestAccuracy})
}

// The recipes are listed among the models, so that --help shows them and
// `goras summary --model best` works; `goras train` hands them to runRecipe.
func init() {
	short := map[string]string{
		"best": "the 99.5 % bounty recipe (docs/bounty.md): a batch-normalized CNN with\n" +
			"    augmentation, label smoothing and a one-cycle schedule, trained on the first\n" +
			"    55,000 images and validated on the last 5,000; the test set is used once",
		"best-long": "best trained twice as long (24 epochs); five seeds averaged by `goras ensemble`\n" +
			"    reach 99.73 % (docs/bounty.md)",
		"fast": "a recipe tuned for time (docs/bounty.md): a small batch-normalized CNN,\n" +
			"    3 epochs with a one-cycle schedule, ≥ 99 % in under two minutes",
	}
	for name, desc := range short {
		r, err := recipes.Get(name)
		if err != nil {
			panic(err)
		}
		models[name] = modelSpec{
			Name: name, Description: desc, Layers: r.Layers,
			Loss: "categorical_crossentropy", Optimizer: "adam",
			Epochs: r.Epochs, BatchSize: r.BatchSize,
		}
	}
}
