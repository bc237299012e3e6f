package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/recipes"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// recipeFlags are the flags a fixed recipe (--model best, best-long, fast) takes: its
// network, optimizer, schedule, epochs and batch size were chosen on the
// validation split and are part of the recipe (docs/bounty.md).
var recipeFlags = map[string]bool{
	"model": true, "seed": true, "verbose": true, "dataset": true, "data-dir": true,
	"output": true, "history": true, "plot": true, "force": true, "precision": true,
}

// isRecipe reports whether --model names a fixed recipe: one of the zoo's
// networks that trains by its own protocol.
func isRecipe(name string) bool {
	spec, err := applications.Get(name)
	return err == nil && spec.Recipe != nil
}

// recipePrecision is the policy a recipe trains under: its own (sprint's
// is mixed_bfloat16) unless --precision was given.
func recipePrecision(r recipes.Recipe, changed bool, flag string) string {
	if changed || r.Precision == "" {
		return flag
	}
	return r.Precision
}

// runRecipe trains a recipe by its protocol: the first 55,000 training
// images of --dataset, validation on the last 5,000 after every epoch, the
// test set once at the end.
func runRecipe(cmd *cobra.Command, f *trainFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	spec, err := getModel(f.model)
	if err != nil {
		return err
	}
	r := *spec.Recipe
	f.data.dataset = recipeDataset(r, cmd.Flags().Changed("dataset"), f.data.dataset)
	if err := checkRecipeFlags(cmd, f, r); err != nil {
		return err
	}
	// Build gives the model the policy as its own (mixedprecision.SetPolicy).
	r.Precision = recipePrecision(r, cmd.Flags().Changed("precision"), f.precision)
	if _, err := mixedprecision.NewPolicy(r.Precision); err != nil {
		return fmt.Errorf("--precision must be %s, got %q", strings.Join(mixedprecision.Names(), " or "), r.Precision)
	}
	if err := recipeSummary(stdout, r, f.seed); err != nil {
		return err
	}
	ctx := cmd.Context()
	train, test, err := loadDataset(ctx, f.data.dataset, f.dataDir, stderr)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	fmt.Fprintf(stderr, "goras: recipe %s, seed %d, data %s: training on the first %d images, validating on the last %d; the test set is used once, at the end\n",
		r.Name, f.seed, f.data.dataset, recipes.TrainSamples, recipes.ValidationSamples)
	guard := newNaNGuard(stdout, r.Epochs, r.StepsPerEpoch())
	run := recipes.RunOptions{Verbose: f.verbose, Output: stdout, Callbacks: []goras.Callback{guard}}
	if f.verbose == 0 { // Run's zero Verbose means its default, one line per epoch
		run.Verbose, run.Output = 2, io.Discard
	}
	res, err := r.Run(ctx, f.seed, train, test, run)
	interrupted := err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) && res != nil && res.Model != nil
	switch {
	case interrupted:
		// As for every model: what was trained is kept and scored, so that
		// Ctrl-C ten minutes into --model best loses nothing.
		if err := recipeInterrupted(f, r, res, test, stdout, stderr); err != nil {
			return err
		}
	case err != nil:
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return errInterrupted
		}
		return err
	default:
		fmt.Fprintf(stderr, "goras: trained in %.1f s (%.1f s in all, data loading excluded)\n", res.Train.Seconds(), res.Total.Seconds())
	}
	if err := finishRecipe(f, res, guard, stdout, stderr); err != nil {
		return err
	}
	if interrupted {
		return errInterrupted
	}
	return nil
}

// recipeSummary writes the summary of r's network built from seed. It is
// built without r's policy (the summary does not depend on it): Run builds
// the model it trains with it, so that where mixed_bfloat16 falls back to
// float32 the notice is written once, not once per model built.
func recipeSummary(w io.Writer, r recipes.Recipe, seed uint64) error {
	r.Precision = ""
	m, err := r.Build(seed)
	if err != nil {
		return err
	}
	return m.Summary(w)
}

// recipeInterrupted says how far an interrupted recipe got and scores its
// model as trained so far on the test set, as Run would have at the end.
func recipeInterrupted(f *trainFlags, r recipes.Recipe, res *recipes.Result, test mnist.Dataset, stdout, stderr io.Writer) error {
	if f.verbose == 1 && isTerminal(stdout) {
		fmt.Fprintln(stdout) // end the progress bar cut mid-line
	}
	done := 0
	if res.History != nil {
		done = len(res.History.Epoch)
	}
	fmt.Fprintf(stderr, "goras: interrupted after %s of %d; evaluating the model as trained so far\n", epochs(done), r.Epochs)
	y, err := mnist.ToCategorical(test.Y, 10)
	if err != nil {
		return err
	}
	logs, err := res.Model.Evaluate(test.X.WithChannelAxis(), y, goras.BatchSize(1000), goras.Verbose(0), goras.Output(io.Discard))
	if err != nil {
		return err
	}
	res.TestLoss, res.TestAccuracy = logs["loss"], logs["accuracy"]
	return nil
}

// finishRecipe writes what the flags ask for of a recipe's run and prints
// its test line.
func finishRecipe(f *trainFlags, res *recipes.Result, guard *nanGuard, stdout, stderr io.Writer) error {
	if f.history != "" && res.History != nil {
		if err := saveHistory(res.History, f.history, f.force); err != nil {
			return err
		}
	}
	if err := drawCurves(res.History, f.plot, f.force, stderr); err != nil {
		return err
	}
	if err := guard.Err(); err != nil {
		return notSaved(err, f.output)
	}
	src := source{dataset: f.data.dataset}
	if err := res.Model.SetClassNames(src.classNames()); err != nil {
		return err
	}
	if err := saveModel(res.Model, f.output, f.force, stderr); err != nil {
		return err
	}
	return printScores(stdout, "test", map[string]float64{"loss": res.TestLoss, "accuracy": res.TestAccuracy})
}

// checkRecipeFlags refuses the flags a recipe fixes and checks the others,
// before anything is built or loaded.
func checkRecipeFlags(cmd *cobra.Command, f *trainFlags, r recipes.Recipe) error {
	if f.data.data != "" {
		return fmt.Errorf("--model %s is a fixed recipe whose protocol is MNIST's (train on the first %s of 60,000 pictures, validate on the last %s, test on 10,000) and does not take --data; "+
			"train another model on your folder, e.g. --model lenet5 --data %s, or the recipe on --dataset %s",
			r.Name, thousands(recipes.TrainSamples), thousands(recipes.ValidationSamples), f.data.data, strings.Join(datasetNames, " or "))
	}
	if !slices.Contains(datasetNames, f.data.dataset) {
		return unknownDataset(f.data.dataset)
	}
	var bad []string
	inherited := cmd.InheritedFlags() // goras's own (--cpuprofile), for every command
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if !recipeFlags[fl.Name] && inherited.Lookup(fl.Name) == nil {
			bad = append(bad, "--"+fl.Name)
		}
	})
	if len(bad) > 0 {
		return fmt.Errorf("--model %s is a fixed recipe (network, optimizer, schedule, %d epochs of batch %d; see docs/bounty.md) and does not take %s; it takes --seed, --verbose, --dataset, --data-dir, --output, --history, --plot, --force and --precision",
			r.Name, r.Epochs, r.BatchSize, strings.Join(bad, ", "))
	}
	for _, check := range []func() error{
		func() error { return checkVerbose(f.verbose) },
		func() error { return checkOutput("--history", f.history, f.force, historyExts...) },
		func() error { return checkOutput("--output", f.output, f.force, modelExts...) },
		func() error { return checkOutput("--plot", f.plot, f.force, pictureExts...) },
		func() error { return checkDataDir(f.dataDir, f.data.dataset) },
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// thousands writes n with a comma between groups of three digits, as the
// other counts of the messages are written (55,000).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// recipeDataset is the data a recipe trains on: --dataset when given, else
// the data set the recipe was chosen on (fashion_mnist for --model fashion).
func recipeDataset(r recipes.Recipe, given bool, dataset string) string {
	if given || r.Dataset == "" {
		return dataset
	}
	return r.Dataset
}
