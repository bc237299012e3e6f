package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/saving"
	"github.com/spf13/cobra"
)

// runTrain is goras train: settle the run, train, then write what was
// asked and print the test line. Each step is a function below.
func runTrain(cmd *cobra.Command, f *trainFlags) error {
	if isRecipe(f.model) {
		return runRecipe(cmd, f)
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	f.log = stderr
	r, ck, err := f.start(cmd.Flags().Changed, stderr)
	if err != nil {
		return err
	}
	defer r.close()
	if err := r.model.Summary(stdout); err != nil {
		return err
	}
	ctx := cmd.Context()
	d, err := r.loadData(ctx, f.dataDir, stderr)
	if err != nil {
		return err
	}
	res, err := r.fit(ctx, f, d, ck, stdout, stderr)
	if err != nil {
		return err
	}
	return r.finish(f, d, res, stdout, stderr)
}

// start settles the run before anything is loaded or printed: the flags
// (recalled from the checkpoint directory with --resume), the model, the
// checkpoint directory held for this run (r.close lets it go), the run's
// settings written into it first of all, and the checkpoint resumed, if
// any.
func (f *trainFlags) start(set func(string) bool, log io.Writer) (*recipe, *saving.Checkpoint, error) {
	if f.resume && f.checkpointDir != "" {
		if err := checkCheckpointDir(f.checkpointDir); err != nil {
			return nil, nil, err
		}
		var err error
		if set, err = f.recallRun(set); err != nil {
			return nil, nil, err
		}
	}
	r, err := f.resolve(set)
	if err != nil {
		return nil, nil, err
	}
	if f.checkpointDir == "" {
		return r, nil, nil
	}
	if r.unlock, err = claimCheckpointDir(f.checkpointDir); err != nil {
		return nil, nil, err
	}
	ck, err := f.startIn(r, log)
	if err != nil {
		r.close()
		return nil, nil, err
	}
	return r, ck, nil
}

// startIn starts r in --checkpoint-dir, which it holds: refused over an
// earlier run's checkpoints without --resume, its settings written, the
// newest checkpoint resumed with --resume.
func (f *trainFlags) startIn(r *recipe, log io.Writer) (*saving.Checkpoint, error) {
	if !f.resume {
		if old, err := saving.Checkpoints(f.checkpointDir); err != nil {
			return nil, fmt.Errorf("--checkpoint-dir %s: %w", f.checkpointDir, err)
		} else if len(old) > 0 {
			return nil, fmt.Errorf("%s already holds %s of an earlier run (newest %s); add --resume to go on from it, or give another --checkpoint-dir",
				f.checkpointDir, checkpoints(len(old)), filepath.Base(old[len(old)-1]))
		}
	}
	// The settings go first, so that a run killed at any later moment can
	// be resumed as itself.
	if err := writeRunSettings(f.checkpointDir, r.settings(f.seed)); err != nil {
		return nil, fmt.Errorf("--checkpoint-dir: %w", err)
	}
	if !f.resume {
		return nil, nil
	}
	return r.resumeFrom(f.checkpointDir, log)
}

// close lets go of what r holds: its checkpoint directory.
func (r *recipe) close() {
	if r.unlock != nil {
		r.unlock()
		r.unlock = nil
	}
}

// trainData is the data as the model takes it: the training pictures and
// the ones it is validated and finally scored on (a data set's test
// pictures, a folder's validation split).
type trainData struct {
	xTrain, yTrain, xTest, yTest goras.Data
}

// loadData loads the data set (the first --limit training images) and
// prepares it for r's model and loss; a folder is loaded already.
func (r *recipe) loadData(ctx context.Context, dir string, log io.Writer) (trainData, error) {
	if r.src.isFolder() {
		return trainData{r.src.train.X, r.src.train.Y, r.src.val.X, r.src.val.Y}, nil
	}
	train, test, err := loadDataset(ctx, r.src.dataset, dir, log)
	if err != nil {
		if ctx.Err() != nil {
			return trainData{}, errInterrupted
		}
		return trainData{}, err
	}
	if r.limit > 0 && r.limit < train.X.N {
		train = mnist.Dataset{X: train.X.Slice(0, r.limit), Y: train.Y[:r.limit]}
	}
	var d trainData
	if d.xTrain, d.yTrain, err = applications.Data(train, r.model, r.loss); err != nil {
		return trainData{}, err
	}
	if d.xTest, d.yTest, err = applications.Data(test, r.model, r.loss); err != nil {
		return trainData{}, err
	}
	return d, nil
}

// fitResult is what training left.
type fitResult struct {
	hist        *goras.History // every epoch, a resumed checkpoint's first
	interrupted bool           // by ctx (Ctrl-C)
	guard       *nanGuard
}

// fit trains r's model on d with the callbacks the flags ask for, going on
// from ck when resuming.
func (r *recipe) fit(ctx context.Context, f *trainFlags, d trainData, ck *saving.Checkpoint, stdout, stderr io.Writer) (*fitResult, error) {
	cbs, err := r.callbacks(f.verbose, stdout)
	if err != nil {
		return nil, err
	}
	n := d.xTrain.Shape()[0]
	guard := newNaNGuard(stdout, r.epochs, (n+r.batchSize-1)/r.batchSize)
	cbs = append([]goras.Callback{guard}, cbs...) // first: the others then see a stopped run
	initial := 0
	var saver *callbacks.BackupAndRestore
	if f.checkpointDir != "" {
		if saver, err = newBackup(f); err != nil {
			return nil, err
		}
		if ck != nil {
			initial = ck.Epoch + 1
		}
		cbs = append(cbs, noNaNBackup{saver, guard}) // last, so that it saves what the others log
	}
	fmt.Fprintf(stderr, "goras: training on %d images, validating on %d%s: %s\n", n, d.xTest.Shape()[0], r.src.splitNote(f.seed), r.describe(f.seed))
	if initial >= r.epochs {
		fmt.Fprintf(stderr, "goras: the checkpoint has trained %s of %d already; nothing left to train (raise --epochs to go on)\n", epochs(initial), r.epochs)
	}
	hist, err := r.model.Fit(ctx, d.xTrain, d.yTrain,
		goras.Epochs(r.epochs), goras.InitialEpoch(initial), goras.BatchSize(r.batchSize), goras.Verbose(f.verbose),
		goras.ValidationData(d.xTest, d.yTest), goras.Callbacks(cbs...), goras.Output(stdout), goras.Warnings(stderr))
	res := &fitResult{hist: hist, guard: guard}
	res.interrupted = err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err())
	if err != nil && !res.interrupted {
		return nil, err
	}
	if saver != nil && saver.Err() != nil {
		return nil, saver.Err() // a checkpoint that could not be written stopped training
	}
	if ck != nil {
		res.hist = ck.History.Concat(hist) // the epochs before the interruption, then this run's
	}
	return res, nil
}

// newBackup returns the callback that backs training up into
// --checkpoint-dir.
func newBackup(f *trainFlags) (*callbacks.BackupAndRestore, error) {
	keep := f.keep
	if keep <= 0 {
		keep = -1 // --keep 0 keeps every checkpoint
	}
	return callbacks.NewBackupAndRestore(f.checkpointDir, callbacks.BackupAndRestoreConfig{Keep: keep, KeepAfterTraining: true})
}

// finish writes the history, the curves and the model, then evaluates the
// model and prints the test line. A run that met a NaN writes the history
// and the curves, which show the divergence, but not the model.
func (r *recipe) finish(f *trainFlags, d trainData, res *fitResult, stdout, stderr io.Writer) error {
	hist := res.hist
	done := 0
	if hist != nil {
		done = len(hist.Epoch)
	}
	if res.interrupted {
		if f.verbose == 1 && isTerminal(stdout) {
			fmt.Fprintln(stdout) // end the progress bar cut mid-line
		}
		fmt.Fprintf(stderr, "goras: interrupted after %s of %d; evaluating the model as trained so far\n", epochs(done), r.epochs)
	}
	if f.history != "" && hist != nil {
		if err := saveHistory(hist, f.history, f.force); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "goras: wrote the history of %s to %s\n", epochs(done), f.history)
	}
	if err := drawCurves(hist, f.plot, f.force, stderr); err != nil {
		return err
	}
	if err := res.guard.Err(); err != nil {
		return notSaved(err, f.output)
	}
	if err := saveModel(r.model, f.output, f.force, stderr); err != nil {
		return err
	}
	scores, err := r.model.Evaluate(d.xTest, d.yTest, goras.BatchSize(r.batchSize), goras.Verbose(0), goras.Output(io.Discard))
	if err != nil {
		return err
	}
	if err := printScores(stdout, r.src.validationName(), scores); err != nil {
		return err
	}
	if res.interrupted {
		return errInterrupted
	}
	return nil
}

// notSaved adds to a NaN stop that --output was not written.
func notSaved(err error, output string) error {
	if output == "" {
		return err
	}
	return fmt.Errorf("%w. The model was not saved to %s", err, output)
}

// drawCurves draws --plot from hist, when asked.
func drawCurves(hist *goras.History, path string, force bool, log io.Writer) error {
	if path == "" {
		return nil
	}
	if hist == nil || len(hist.Epoch) == 0 {
		fmt.Fprintf(log, "goras: no epoch finished, so no curves to draw in %s\n", path)
		return nil
	}
	if err := writeOutput("--plot", path, force, func() error { return plot.SaveCurves(hist, path) }); err != nil {
		return err
	}
	fmt.Fprintf(log, "goras: drew the curves of %s in %s\n", epochs(len(hist.Epoch)), path)
	return nil
}

// checkpoints says "1 checkpoint", "2 checkpoints".
func checkpoints(n int) string {
	if n == 1 {
		return "1 checkpoint"
	}
	return fmt.Sprintf("%d checkpoints", n)
}
