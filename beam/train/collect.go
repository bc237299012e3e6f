package train

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/beam/internal/beamfs"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/ensemble"
	"github.com/goras-ml/goras/saving"
)

// Summary is one configuration's figures over its runs (seeds or folds).
type Summary struct {
	// Config is Job.Config: the recipe or network, hyper-parameters,
	// split and data.
	Config string
	// Runs are the configuration's results, by ID.
	Runs []Result
	// ValAccuracy and ValStd are the mean and the population standard
	// deviation (as crossval.Result.Std) of the runs' ValAccuracy;
	// TrainSeconds the mean of their TrainSeconds.
	ValAccuracy, ValStd, TrainSeconds float64
}

// Report is what the collecting step found: every run, every
// configuration, the one chosen on validation and its test figures.
type Report struct {
	// Results are all the runs, by ID.
	Results []Result
	// Configs summarize the runs by configuration, best validation
	// accuracy first; Configs[0] is the one chosen.
	Configs []Summary
	// EnsembleVal is the validation accuracy of the chosen runs' average
	// (NaN for k-fold runs, whose validation images differ, and for one run).
	EnsembleVal float64
	// Test holds the test accuracy of each chosen run, by ID, and Ensemble
	// that of their average (NaN for one run): the only figures read on the
	// test set, once, after the choice.
	Test     map[string]float64
	Ensemble float64
	// TTA says that the test figures (and EnsembleVal) average each model
	// over the image and its four one-pixel shifts (ensemble.TTAShifts).
	TTA bool
}

// Summarize groups results by configuration and orders the configurations
// by mean validation accuracy, best first (NaN last; equal means in Config
// order), as a sweep chooses.
func Summarize(results []Result) []Summary {
	by := map[string][]Result{}
	for _, r := range results {
		by[r.Job.Config()] = append(by[r.Job.Config()], r)
	}
	var out []Summary
	for cfg, rs := range by {
		sort.Slice(rs, func(a, b int) bool { return rs[a].Job.ID < rs[b].Job.ID })
		s := Summary{Config: cfg, Runs: rs}
		for _, r := range rs {
			s.ValAccuracy += r.ValAccuracy / float64(len(rs))
			s.TrainSeconds += r.TrainSeconds / float64(len(rs))
		}
		for _, r := range rs {
			d := r.ValAccuracy - s.ValAccuracy
			s.ValStd += d * d / float64(len(rs))
		}
		s.ValStd = math.Sqrt(s.ValStd)
		out = append(out, s)
	}
	sort.Slice(out, func(a, b int) bool {
		va, vb := out[a].ValAccuracy, out[b].ValAccuracy
		switch {
		case math.IsNaN(va) != math.IsNaN(vb):
			return math.IsNaN(vb)
		case va != vb:
			return va > vb
		}
		return out[a].Config < out[b].Config
	})
	return out
}

// Collect is the protocol's last step, run once on all the results: it
// summarizes them, chooses the configuration with the best mean validation
// accuracy, and only then reads the test set, once, to score the chosen
// runs' models, one by one and averaged, as `goras ensemble` scores model
// files (tta as its --tta).
func Collect(ctx context.Context, results []Result, tta bool) (*Report, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("no training job finished, so there is nothing to report")
	}
	rep := &Report{Results: append([]Result(nil), results...), Configs: Summarize(results), TTA: tta,
		EnsembleVal: math.NaN(), Ensemble: math.NaN(), Test: map[string]float64{}}
	sort.Slice(rep.Results, func(a, b int) bool { return rep.Results[a].Job.ID < rep.Results[b].Job.ID })
	chosen := rep.Configs[0].Runs
	models := make([]ensemble.Model, len(chosen))
	var first *goras.Model
	for i, r := range chosen {
		m, err := loadModel(ctx, r.ModelFile)
		if err != nil {
			return nil, err
		}
		models[i] = m
		if i == 0 {
			first = m
		}
	}
	// Batches of 200, not goras ensemble's 1000: the same probabilities
	// (each row is computed alone) from a fifth of the buffers (a run of
	// two bounty CNNs peaked at 0.92 GB instead of 1.3 GB).
	opts := []ensemble.Option{ensemble.WithBatchSize(200)}
	if tta {
		opts = append(opts, ensemble.WithShifts(ensemble.TTAShifts...))
	}
	train, test, err := loadMNIST(ctx, chosen[0].Job.Data)
	if err != nil {
		return nil, err
	}
	if len(chosen) > 1 && chosen[0].Job.Folds == 0 {
		sp, _ := chosen[0].Job.split() // the runs of one configuration share it
		_, val := sp.sets(train)
		if rep.EnsembleVal, err = accuracy(models, val, first, opts); err != nil {
			return nil, err
		}
	}
	// The test set, read once, for the chosen runs only.
	for i, r := range chosen {
		if rep.Test[r.Job.ID], err = accuracy(models[i:i+1], test, first, opts); err != nil {
			return nil, fmt.Errorf("%s: %w", r.ModelFile, err)
		}
	}
	if len(chosen) > 1 {
		if rep.Ensemble, err = accuracy(models, test, first, opts); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// accuracy is the accuracy of the models' averaged probabilities on d.
func accuracy(models []ensemble.Model, d mnist.Dataset, m *goras.Model, opts []ensemble.Option) (float64, error) {
	x, err := applications.Input(d.X, m)
	if err != nil {
		return 0, err
	}
	probs, err := ensemble.Predict(models, x, opts...)
	if err != nil {
		return 0, err
	}
	return ensemble.Accuracy(probs, d.Y)
}

// loadModel reads a model file from any Beam file system.
func loadModel(ctx context.Context, path string) (*goras.Model, error) {
	local, done, err := beamfs.ToLocal(ctx, path)
	if err != nil {
		return nil, err
	}
	defer done()
	return saving.Load(local)
}

// String is the report as goras-beam prints it: the runs, the
// configurations, the choice and the test lines, the last ones as `goras
// ensemble` prints them.
func (r *Report) String() string {
	var b strings.Builder
	w := len("config")
	for _, x := range r.Results {
		w = max(w, len(x.Job.Config()))
	}
	fmt.Fprintf(&b, "%-14s %-*s %5s %5s %6s %8s %7s %9s %8s %12s %8s %8s  %s\n", "id", w, "config",
		"seed", "fold", "epochs", "params", "loss", "accuracy", "val_loss", "val_accuracy", "train_s", "total_s", "worker")
	for _, x := range r.Results {
		fold := "-"
		if x.Job.Folds > 0 {
			fold = fmt.Sprintf("%d/%d", x.Job.Fold+1, x.Job.Folds)
		}
		fmt.Fprintf(&b, "%-14s %-*s %5d %5s %6d %8d %7.4f %9.4f %8.4f %12.4f %8.1f %8.1f  %s\n",
			x.Job.ID, w, x.Job.Config(), x.Job.Seed, fold, x.Epochs, x.Params, x.Loss, x.Accuracy, x.ValLoss,
			x.ValAccuracy, x.TrainSeconds, x.TotalSeconds, x.Worker)
	}
	fmt.Fprintf(&b, "\n%-*s %5s  %-23s %12s\n", w, "config", "runs", "val_accuracy mean ± std", "train_s mean")
	for _, s := range r.Configs {
		fmt.Fprintf(&b, "%-*s %5d  %.4f ± %.4f %16.1f\n", w, s.Config, len(s.Runs), s.ValAccuracy, s.ValStd, s.TrainSeconds)
	}
	chosen := r.Configs[0]
	how := ""
	if r.TTA {
		how = " with test-time augmentation"
	}
	fmt.Fprintf(&b, "\nchosen on validation: %s (%d runs); the test set is read once, now\n", chosen.Config, len(chosen.Runs))
	if !math.IsNaN(r.EnsembleVal) {
		fmt.Fprintf(&b, "ensemble of %d models%s: val_accuracy: %.4f\n", len(chosen.Runs), how, r.EnsembleVal)
	}
	for _, x := range chosen.Runs {
		fmt.Fprintf(&b, "%s: test_accuracy: %.4f\n", x.ModelFile, r.Test[x.Job.ID])
	}
	if !math.IsNaN(r.Ensemble) {
		fmt.Fprintf(&b, "ensemble of %d models%s: test_accuracy: %.4f\n", len(chosen.Runs), how, r.Ensemble)
	}
	return b.String()
}
