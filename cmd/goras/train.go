package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/progbar"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/spf13/cobra"
)

// trainFlags are goras train's flags. A zero or empty value of a flag whose
// default comes from the model means "not given"; flagSet tells which were.
type trainFlags struct {
	model        string
	epochs       int
	batchSize    int
	learningRate float64
	optimizer    string
	momentum     float64
	nesterov     bool
	loss         string
	seed         uint64
	verbose      int
	history      string
	dataDir      string
	output       string
}

func newTrainCmd() *cobra.Command {
	cmd, _ := newTrainCmdFlags()
	return cmd
}

// newTrainCmdFlags returns the train command and the flags it parses into.
func newTrainCmdFlags() (*cobra.Command, *trainFlags) {
	f := &trainFlags{}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a network on MNIST and print its test accuracy",
		Long: `Train a network on MNIST, validating on the test set after every epoch, and
print its summary, Keras-style progress, and finally one line
"test_loss: X - test_accuracy: Y".

With no flags it is the course's first lab: Flatten → Dense(50, relu) →
Dense(10, softmax), mean squared error, SGD with learning rate 0.1, batch size
100, 10 epochs, seed 1. Ctrl-C stops training after the current step; the
model as trained so far is still evaluated (exit status 130).

MNIST is looked for in --data-dir, $GORAS_MNIST_DIR, the cache, the Go module
cache, then fetched; where it came from is logged to stderr.`,
		Example: `  goras train
  goras train --loss categorical_crossentropy --optimizer adam
  goras train --optimizer sgd --momentum 0.9 --epochs 5 --history run.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", defaultModel, modelHelp())
	fl.IntVar(&f.epochs, "epochs", 0, "passes over the training data (default: the model's; 10 for mlp)")
	fl.IntVar(&f.batchSize, "batch-size", 0, "samples per training step (default: the model's; 100 for mlp)")
	fl.Float64Var(&f.learningRate, "learning-rate", 0, "optimizer step size (default: the model's rate with the model's optimizer,\n0.1 for mlp with sgd; otherwise the optimizer's Keras default, e.g. adam 0.001)")
	fl.StringVar(&f.optimizer, "optimizer", "", "optimizer: "+strings.Join(optimizers.Names(), ", ")+" (default: the model's; sgd for mlp)")
	fl.Float64Var(&f.momentum, "momentum", 0, "SGD momentum in [0, 1] (only with sgd)")
	fl.BoolVar(&f.nesterov, "nesterov", false, "use Nesterov momentum (only with sgd and --momentum > 0)")
	fl.StringVar(&f.loss, "loss", "", "loss: "+strings.Join(losses.Names(), ", ")+"\n(default: the model's; mean_squared_error for mlp)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights and of the shuffling")
	fl.IntVar(&f.verbose, "verbose", 1, "0 silent, 1 progress bar (one line per epoch when stdout is not\na terminal), 2 one line per epoch")
	fl.StringVar(&f.history, "history", "", "write per-epoch metrics and seconds to `FILE`, CSV or JSON by extension (.csv, .json)")
	fl.StringVar(&f.dataDir, "data-dir", "", "`DIR` holding the four MNIST files, searched first\n(default: $GORAS_MNIST_DIR, then the cache, then download)")
	addOutputFlag(fl, &f.output)
	fl.SortFlags = false
	return cmd, f
}

// recipe is a fully resolved training run.
type recipe struct {
	spec      modelSpec
	model     *goras.Sequential
	loss      losses.Loss
	optimizer optimizers.Optimizer
	epochs    int
	batchSize int
}

// resolve checks the flags and fills what was not given from the model's
// defaults; set reports whether a flag was given on the command line. It
// builds and compiles the model, so every mistake surfaces before any data
// is loaded.
func (f *trainFlags) resolve(set func(name string) bool) (*recipe, error) {
	spec, err := lookupModel(f.model)
	if err != nil {
		return nil, err
	}
	r := &recipe{spec: spec, epochs: spec.Epochs, batchSize: spec.BatchSize}
	if set("epochs") {
		if f.epochs < 1 {
			return nil, fmt.Errorf("--epochs must be at least 1, got %d", f.epochs)
		}
		r.epochs = f.epochs
	}
	if set("batch-size") {
		if f.batchSize < 1 {
			return nil, fmt.Errorf("--batch-size must be at least 1, got %d", f.batchSize)
		}
		r.batchSize = f.batchSize
	}
	if f.verbose < 0 || f.verbose > 2 {
		return nil, fmt.Errorf("--verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got %d", f.verbose)
	}
	lossName := spec.Loss
	if set("loss") {
		lossName = f.loss
	}
	if r.loss, err = losses.Get(lossName); err != nil {
		return nil, fmt.Errorf("unknown --loss %q; known: %s", lossName, strings.Join(losses.Names(), ", "))
	}
	if r.optimizer, err = f.newOptimizer(spec, set); err != nil {
		return nil, err
	}
	if err := checkHistoryPath(f.history); err != nil {
		return nil, err
	}
	if err := checkOutputPath(f.output); err != nil {
		return nil, err
	}
	if err := checkDataDir(f.dataDir); err != nil {
		return nil, err
	}
	if r.model, err = spec.newModel(f.seed); err != nil {
		return nil, err
	}
	err = r.model.Compile(goras.CompileOptions{Optimizer: r.optimizer, Loss: r.loss, Metrics: []string{"accuracy"}})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// newOptimizer makes the optimizer the flags ask for. The model's learning
// rate goes with the model's optimizer only: another optimizer starts from
// its own Keras default (Adam's 0.1 would diverge where SGD's 0.1 learns).
func (f *trainFlags) newOptimizer(spec modelSpec, set func(string) bool) (optimizers.Optimizer, error) {
	name := spec.Optimizer
	if set("optimizer") {
		name = strings.ToLower(strings.TrimSpace(f.optimizer))
	}
	lr := 0.0 // the optimizer's Keras default
	if name == spec.Optimizer {
		lr = spec.LearningRate
	}
	if set("learning-rate") {
		if math.IsNaN(f.learningRate) || math.IsInf(f.learningRate, 0) || f.learningRate <= 0 {
			return nil, fmt.Errorf("--learning-rate must be a positive number, got %v", f.learningRate)
		}
		lr = f.learningRate
	}
	if name != "sgd" {
		for _, flag := range []string{"momentum", "nesterov"} {
			if set(flag) {
				return nil, fmt.Errorf("--%s applies only to --optimizer sgd, not %s", flag, name)
			}
		}
	}
	if name == "sgd" {
		if f.nesterov && f.momentum == 0 {
			return nil, errors.New("--nesterov needs a --momentum above 0 (e.g. --momentum 0.9)")
		}
		if math.IsNaN(f.momentum) || f.momentum < 0 || f.momentum > 1 {
			return nil, fmt.Errorf("--momentum must be in [0, 1], got %v", f.momentum)
		}
		return optimizers.NewSGD(optimizers.SGDConfig{LearningRate: lr, Momentum: f.momentum, Nesterov: f.nesterov})
	}
	opt, err := optimizers.Get(name)
	if err != nil {
		return nil, fmt.Errorf("unknown --optimizer %q; known: %s", name, strings.Join(optimizers.Names(), ", "))
	}
	if lr > 0 {
		if err := opt.SetLearningRate(lr); err != nil {
			return nil, err
		}
	}
	return opt, nil
}

// checkHistoryPath rejects a --history file that could not be written, so
// that the mistake is found before training rather than after.
func checkHistoryPath(path string) error {
	if path == "" {
		return nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".json":
	default:
		return fmt.Errorf("--history %s: the file name must end in .csv or .json", path)
	}
	return checkParentDir("--history", path)
}

// checkParentDir makes sure the directory a file is to be written in exists.
func checkParentDir(flag, path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s %s: %w", flag, path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s %s: %s is not a directory", flag, path, dir)
	}
	return nil
}

// describe says in one line what a run will do.
func (r *recipe) describe(seed uint64) string {
	opt := fmt.Sprintf("%s(learning_rate=%g", r.optimizer.Name(), r.optimizer.LearningRate())
	if c := r.optimizer.Config(); r.optimizer.Name() == "SGD" {
		if mom, _ := c["momentum"].(float64); mom > 0 {
			opt += fmt.Sprintf(", momentum=%g, nesterov=%v", mom, c["nesterov"])
		}
	}
	return fmt.Sprintf("model %s, loss %s, optimizer %s), batch_size %d, epochs %d, seed %d",
		r.spec.Name, r.loss.Name(), opt, r.batchSize, r.epochs, seed)
}

func runTrain(cmd *cobra.Command, f *trainFlags) error {
	r, err := f.resolve(cmd.Flags().Changed)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := r.model.Summary(stdout); err != nil {
		return err
	}
	train, test, err := loadMNIST(ctx, f.dataDir, stderr)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	xTrain, yTrain, err := prepare(train, r.model, r.loss)
	if err != nil {
		return err
	}
	xTest, yTest, err := prepare(test, r.model, r.loss)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "goras: training on %d images, validating on %d: %s\n", xTrain.Dim(0), xTest.Dim(0), r.describe(f.seed))

	hist, err := r.model.Fit(ctx, xTrain, yTrain,
		goras.Epochs(r.epochs), goras.BatchSize(r.batchSize), goras.Verbose(f.verbose),
		goras.ValidationData(xTest, yTest), goras.Output(stdout), goras.Warnings(stderr))
	interrupted := err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err())
	if err != nil && !interrupted {
		return err
	}
	if interrupted {
		done := 0
		if hist != nil {
			done = len(hist.Epoch)
		}
		if f.verbose == 1 && isTerminal(stdout) {
			fmt.Fprintln(stdout) // end the progress bar cut mid-line
		}
		fmt.Fprintf(stderr, "goras: interrupted after %s of %d; evaluating the model as trained so far\n", epochs(done), r.epochs)
	}
	if f.history != "" && hist != nil {
		if err := hist.Save(f.history); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "goras: wrote the history of %s to %s\n", epochs(len(hist.Epoch)), f.history)
	}
	if err := saveModel(r.model, f.output, stderr); err != nil {
		return err
	}
	scores, err := r.model.Evaluate(xTest, yTest, goras.BatchSize(r.batchSize), goras.Verbose(0), goras.Output(io.Discard))
	if err != nil {
		return err
	}
	if err := printScores(stdout, scores); err != nil {
		return err
	}
	if interrupted {
		return errInterrupted
	}
	return nil
}

// epochs says "1 epoch", "2 epochs".
func epochs(n int) string {
	if n == 1 {
		return "1 epoch"
	}
	return fmt.Sprintf("%d epochs", n)
}

// isTerminal reports whether w is a terminal, where Fit draws its progress
// bar in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && progbar.IsTerminal(f)
}
