package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/internal/progbar"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/mixedprecision"
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
	data         dataFlags
	output       string
	limit        int
	// log receives what loading a --data folder finds; nil is silent.
	log io.Writer

	checkpointDir string
	keep          int
	resume        bool
	plot          string
	force         bool

	arch          archFlags
	sched         scheduleFlags
	earlyStopping int
	reduceLR      int
	precision     string
}

func newTrainCmd() *cobra.Command {
	cmd, _ := newTrainCmdFlags()
	return cmd
}

// trainLong is goras train --help's text.
const trainLong = `Train a network on MNIST, validating on the test set after every epoch, and
print its summary, Keras-style progress, and finally one line
"test_loss: X - test_accuracy: Y".

With no flags it is the course's first lab: Flatten → Dense(50, relu) →
Dense(10, softmax), mean squared error, SGD with learning rate 0.1, batch size
100, 10 epochs, seed 1. --model picks another network with its own recipe
(loss, optimizer, batch size, epochs), which the other flags override; every
model validates on the 10,000 test images after each epoch. Ctrl-C stops
training after the current step; the model as trained so far is still
evaluated (exit status 130). Training stops at the first loss or weight that
is not a number (NaN or infinite: the learning rate was too high), says
where, and exits with status 1 without saving the model.

Other data:
  --dataset fashion_mnist  Fashion-MNIST (keras.datasets.fashion_mnist): 28×28
                           pictures of clothes in 10 classes, the same sizes as
                           MNIST, so every model and flag works as on MNIST;
                           the saved model carries the class names (T-shirt/top
                           … Ankle boot), which goras predict prints.
  --data DIR               your own pictures, a folder per class, as Keras's
                           image_dataset_from_directory reads them (PNG, JPEG,
                           GIF; sizes may differ). They are resized to the
                           model's input, 28×28 grayscale for every model of the
                           zoo, unless --image-size and --color-mode say
                           otherwise; the model is rebuilt for that input and
                           for as many classes as DIR has folders, and keeps
                           their names. --validation-split (0.2) of the
                           pictures, chosen by a shuffle with --seed, validate
                           after every epoch and score the model at the end,
                           so the last line is Keras's
                           "val_loss: X - val_accuracy: Y" instead.

--model best, best-long, fast and sprint are the fixed recipes of
docs/bounty.md; measured there on 2-core CPUs, data loading included: on the
Intel Xeon with AMX (2026-12-05) fast 99.13–99.29 % test accuracy in 6.8–7.6 s
and best 99.64 % in 2 min 37 s (seed 1; seeds 1–5 gave 99.60–99.66 % on the
build best was tuned on); sprint 99.58–99.65 % in 64–101 s (Intel Xeon, AMD
Zen 5). They train on --dataset mnist or fashion_mnist by MNIST's protocol
(55,000 pictures to train, 5,000 to validate, the test set once), so they do
not take --data.

Every file the run writes (--output, --history, --plot, --checkpoint-dir) is
checked before training starts; a read-only file is replaced only with
--force, and a symbolic link is written through to its target.

MNIST is looked for in --data-dir, $GORAS_MNIST_DIR, the cache, the Go module
cache, then fetched; Fashion-MNIST in --data-dir, $GORAS_FASHION_MNIST_DIR,
the cache, /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist),
then fetched; where it came from is logged to stderr.`

// trainExample is goras train --help's examples.
const trainExample = `  goras train
  goras train --loss categorical_crossentropy --optimizer adam
  goras train --optimizer sgd --momentum 0.9 --epochs 5 --history run.csv
  goras train --model lenet5
  goras train --model lenet5 --dropout 0.3 --l2 0.0001 --schedule cosine --warmup-steps 500
  goras train --model keras-convnet --early-stopping 3 --epochs 30
  goras train --model lenet5 --checkpoint-dir ckpt --plot curves.png --output lenet5.safetensors
  goras train --model lenet5 --checkpoint-dir ckpt --resume   # after a crash or Ctrl-C
  goras train --dataset fashion_mnist --model lenet5 --output clothes.safetensors
  goras train --model fast --dataset fashion_mnist
  goras train --data flowers --image-size 64,64 --color-mode rgb --model lenet5 --epochs 20 --output flowers.safetensors
  goras predict flowers.safetensors my-rose.jpg   # answers with the folder names`

// newTrainCmdFlags returns the train command and the flags it parses into.
func newTrainCmdFlags() (*cobra.Command, *trainFlags) {
	f := &trainFlags{}
	cmd := &cobra.Command{
		Use:     "train",
		Short:   "Train a network on MNIST, Fashion-MNIST or your own pictures and print its accuracy",
		Long:    trainLong,
		Example: trainExample,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, f) },
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
	addDataFlags(fl, &f.data)
	addDataDirFlag(fl, &f.dataDir)
	addOutputFlag(fl, &f.output)
	addCheckpointFlags(fl, f)
	fl.StringVar(&f.plot, "plot", "", "after training, draw the loss and accuracy curves (train and validation) to\n`FILE`, .png or .svg; a resumed run's curves start from its first epoch")
	addForceFlag(fl, &f.force)
	fl.IntVar(&f.limit, "limit", 0, "train on the first `N` training images only, for quick tries; validation\nstill uses all 10,000 test images (default: all 60,000; not with --data)")
	addArchFlags(fl, &f.arch)
	addScheduleFlags(fl, &f.sched)
	fl.IntVar(&f.earlyStopping, "early-stopping", 0, "stop after `PATIENCE` epochs without a lower val_loss and keep the best\nepoch's weights (Keras EarlyStopping(monitor=\"val_loss\", patience=PATIENCE,\nrestore_best_weights=True)); the final test line is then the best epoch's\n(default 0: off)")
	fl.IntVar(&f.reduceLR, "reduce-lr-on-plateau", 0, "multiply the learning rate by 0.1 after `PATIENCE` epochs without a lower\nval_loss (Keras ReduceLROnPlateau(factor=0.1, patience=PATIENCE)); not with\n--schedule (default 0: off)")
	fl.StringVar(&f.precision, "precision", "float32", "dtype policy (Keras's mixed_precision): float32, or mixed_bfloat16 for matrix products\nand convolutions on bfloat16 inputs with float32 accumulation and weights, where\nthe CPU has AVX512_BF16 (elsewhere a notice, and float32)")
	fl.SortFlags = false
	return cmd, f
}

// recipe is a fully resolved training run.
type recipe struct {
	spec      applications.Spec
	src       *source // the data
	arch      arch
	model     *goras.Model
	loss      losses.Loss
	optimizer optimizers.Optimizer
	epochs    int
	batchSize int
	// limit is the number of training images used, 0 for all.
	limit int
	// earlyStopping and reduceLR are the callbacks' patiences, 0 for off.
	earlyStopping, reduceLR int
	// from is the checkpoint file the model was resumed from, "" for a
	// model built from the flags.
	from string
	// precision is the dtype policy the run trains under.
	precision string
	// unlock lets go of the checkpoint directory the run holds; nil when
	// it holds none.
	unlock func()
}

// resolve checks the flags and fills what was not given from the model's
// defaults; set reports whether a flag was given on the command line. It
// builds and compiles the model, so every mistake surfaces before any data
// is loaded.
func (f *trainFlags) resolve(set func(name string) bool) (*recipe, error) {
	spec, err := getModel(f.model)
	if err != nil {
		return nil, err
	}
	r := &recipe{spec: spec, epochs: spec.Epochs, batchSize: spec.BatchSize}
	if r.src, err = f.data.check(set); err != nil {
		return nil, err
	}
	if err := f.resolveLengths(r, set); err != nil {
		return nil, err
	}
	lossName := spec.Loss
	if set("loss") {
		lossName = f.loss
	}
	if r.loss, err = losses.Get(lossName); err != nil {
		return nil, fmt.Errorf("unknown --loss %q; known: %s", lossName, strings.Join(losses.Names(), ", "))
	}
	if r.arch, err = f.arch.check(set); err != nil {
		return nil, err
	}
	if err := f.resolveCallbacks(r); err != nil {
		return nil, err
	}
	// The policy is read when the model builds its plans, so it is set first.
	if _, err := mixedprecision.NewPolicy(f.precision); err != nil {
		return nil, fmt.Errorf("--precision must be %s, got %q", strings.Join(mixedprecision.Names(), " or "), f.precision)
	}
	if err := f.checkFiles(set, r.src); err != nil {
		return nil, err
	}
	// A folder is read now: the model is built for its pictures and classes.
	if err := r.src.load(spec, r.loss, f.seed, f.log); err != nil {
		return nil, err
	}
	n := int64(r.trainSize())
	stepsPerEpoch := (n + int64(r.batchSize) - 1) / int64(r.batchSize)
	if r.optimizer, err = f.newOptimizer(spec, set, stepsPerEpoch, stepsPerEpoch*int64(r.epochs)); err != nil {
		return nil, err
	}
	if err := mixedprecision.SetGlobalPolicy(f.precision); err != nil {
		return nil, err
	}
	r.precision = f.precision
	if r.model, err = r.newModel(f.seed); err != nil {
		return nil, err
	}
	err = r.model.Compile(goras.CompileOptions{Optimizer: r.optimizer, Loss: r.loss, Metrics: []string{"accuracy"}})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// resolveLengths checks --epochs, --batch-size, --limit and --verbose.
func (f *trainFlags) resolveLengths(r *recipe, set func(string) bool) error {
	if set("epochs") {
		if f.epochs < 1 {
			return fmt.Errorf("--epochs must be at least 1, got %d", f.epochs)
		}
		r.epochs = f.epochs
	}
	if set("batch-size") {
		if f.batchSize < 1 {
			return fmt.Errorf("--batch-size must be at least 1, got %d", f.batchSize)
		}
		r.batchSize = f.batchSize
	}
	if err := checkVerbose(f.verbose); err != nil {
		return err
	}
	if set("limit") {
		if f.limit < 1 || f.limit > mnistTrainSize {
			return fmt.Errorf("--limit must be between 1 and %d training images, got %d", mnistTrainSize, f.limit)
		}
		r.limit = f.limit
	}
	return nil
}

// checkVerbose checks --verbose.
func checkVerbose(v int) error {
	if v < 0 || v > 2 {
		return fmt.Errorf("--verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got %d", v)
	}
	return nil
}

// resolveCallbacks checks --early-stopping and --reduce-lr-on-plateau.
func (f *trainFlags) resolveCallbacks(r *recipe) error {
	for _, c := range []struct {
		flag string
		n    int
		dst  *int
	}{{"early-stopping", f.earlyStopping, &r.earlyStopping}, {"reduce-lr-on-plateau", f.reduceLR, &r.reduceLR}} {
		if c.n < 0 {
			return fmt.Errorf("--%s must be a patience of at least 1 epoch (0 = off), got %d", c.flag, c.n)
		}
		*c.dst = c.n
	}
	if r.reduceLR > 0 && f.sched.schedule != "" {
		return errors.New("--reduce-lr-on-plateau and --schedule both set the learning rate; use one")
	}
	return nil
}

// checkFiles checks, before anything is trained, every file and directory
// the run reads or writes.
func (f *trainFlags) checkFiles(set func(string) bool, src *source) error {
	if src.isFolder() && f.dataDir != "" {
		return fmt.Errorf("--data-dir is where the files of --dataset (%s) are; with --data %s, a folder of your own pictures, leave it out", strings.Join(datasetNames, " or "), src.folder)
	}
	for _, check := range []func() error{
		func() error { return checkOutput("--history", f.history, f.force, historyExts...) },
		func() error { return checkOutput("--output", f.output, f.force, modelExts...) },
		func() error { return checkOutput("--plot", f.plot, f.force, pictureExts...) },
		func() error { return f.checkCheckpointFlags(set) },
		func() error { return checkDataDir(f.dataDir, src.dataset) },
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// describe says in one line what a run will do.
func (r *recipe) describe(seed uint64) string {
	model := r.spec.Name + r.arch.String()
	if r.from != "" {
		model = "resumed from " + r.from
	}
	s := fmt.Sprintf("model %s, loss %s, optimizer %s, batch_size %d, epochs %d, seed %d, data %s",
		model, r.loss.Name(), describeOptimizer(r.optimizer), r.batchSize, r.epochs, seed, r.src)
	if r.earlyStopping > 0 {
		s += fmt.Sprintf(", early stopping on val_loss with patience %d", r.earlyStopping)
	}
	if r.reduceLR > 0 {
		s += fmt.Sprintf(", learning rate ×0.1 after %d epochs without a lower val_loss", r.reduceLR)
	}
	if p := mixedprecision.GlobalPolicy(); p.Name() != "float32" {
		s += ", precision " + p.Name()
	}
	return s
}

// callbacks makes the callbacks the flags ask for; their messages go to
// out when verbose.
func (r *recipe) callbacks(verbose int, out io.Writer) ([]goras.Callback, error) {
	v := min(verbose, 1)
	var cbs []goras.Callback
	if r.earlyStopping > 0 {
		es, err := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{
			Monitor: "val_loss", Patience: r.earlyStopping, RestoreBestWeights: true, Verbose: v, Output: out})
		if err != nil {
			return nil, err
		}
		cbs = append(cbs, es)
	}
	if r.reduceLR > 0 {
		rl, err := callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{
			Monitor: "val_loss", Factor: 0.1, Patience: r.reduceLR, Verbose: v, Output: out})
		if err != nil {
			return nil, err
		}
		cbs = append(cbs, rl)
	}
	return cbs, nil
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
