// Package crossval estimates how well a model generalizes by k-fold cross
// validation, which the course teaches and Keras leaves to scikit-learn: the
// samples are cut into k folds; each fold in turn is held out while a fresh
// model trains on the other k−1, then is evaluated on it; the k scores give
// a mean and a spread per metric.
//
//	res, err := crossval.KFold(ctx, 5, x, y, func(fold int) (*goras.Model, error) {
//		m := buildModel()
//		m.SetSeed(uint64(fold))
//		return m, m.Compile(goras.CompileOptions{...})
//	}, goras.Epochs(10), goras.Verbose(0))
//	fmt.Print(res) // per-fold table with mean and std
//
// The folds are contiguous, as scikit-learn's KFold(shuffle=False); use
// Splitter{K: 5, Shuffle: true, Seed: 1} to shuffle the samples first.
package crossval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/tensor"
)

// Splitter cuts N samples into K folds, as scikit-learn's KFold: the first
// N mod K folds hold ⌊N/K⌋+1 samples, the others ⌊N/K⌋.
type Splitter struct {
	// K is the number of folds, 2 ≤ K ≤ N. Required.
	K int
	// Shuffle permutes the samples (with Seed) before cutting them, so
	// that data sorted by class still gives mixed folds. Default false:
	// fold i holds a contiguous run of samples.
	Shuffle bool
	// Seed drives the shuffle; the same seed gives the same folds.
	// Default 0.
	Seed uint64
	// Output, when set, receives one line per fold as it finishes
	// ("Fold 2/5 - accuracy: 0.9667 - loss: 0.0912"). Default nil: silent.
	// Fit's own progress is set by the options passed to Run.
	Output io.Writer
}

// Fold is one split of the samples.
type Fold struct {
	// Index is the fold's number, from 0.
	Index int
	// Test lists the held-out samples (in the order drawn); Train lists
	// every other sample, ascending.
	Test, Train []int
}

// Split returns the K folds of n samples. Every sample is in exactly one
// fold's Test.
func (s Splitter) Split(n int) ([]Fold, error) {
	switch {
	case s.K < 2:
		return nil, fmt.Errorf("crossval: K must be at least 2 folds, got %d", s.K)
	case n < s.K:
		return nil, fmt.Errorf("crossval: cannot cut %d samples into %d folds; use at most %d folds", n, s.K, n)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if s.Shuffle {
		rng := tensor.NewRNG(s.Seed)
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	folds := make([]Fold, s.K)
	start := 0
	for f := range folds {
		size := n / s.K
		if f < n%s.K {
			size++
		}
		test := append([]int(nil), order[start:start+size]...)
		held := make([]bool, n)
		for _, i := range test {
			held[i] = true
		}
		train := make([]int, 0, n-size)
		for i := 0; i < n; i++ {
			if !held[i] {
				train = append(train, i)
			}
		}
		folds[f] = Fold{Index: f, Test: test, Train: train}
		start += size
	}
	return folds, nil
}

// FoldResult is what one fold's model scored on its held-out samples.
type FoldResult struct {
	Fold
	// Metrics is Evaluate's result on the held-out fold: "loss" and the
	// compiled metrics, e.g. "accuracy".
	Metrics goras.Logs
	// History is the fold's Fit history.
	History *goras.History
}

// Result gathers the folds' scores.
type Result struct {
	Folds []FoldResult
	// Names are the metric names, sorted ("accuracy", "loss").
	Names []string
	// Mean and Std are each metric's mean and standard deviation over the
	// folds. Std is the population deviation (divided by K), numpy's
	// default, as in scores.std() after scikit-learn's cross_val_score.
	Mean, Std map[string]float64
}

// KFold runs K-fold cross validation with contiguous folds: for each fold,
// build(fold) returns a fresh compiled model, which is fitted with opts on
// the other folds and evaluated on the held-out one. It is
// Splitter{K: k}.Run(ctx, x, y, build, opts...).
func KFold(ctx context.Context, k int, x, y *tensor.Tensor, build func(fold int) (*goras.Model, error), opts ...goras.Option) (*Result, error) {
	return Splitter{K: k}.Run(ctx, x, y, build, opts...)
}

// Run cross-validates: for each fold, build(fold) must return a fresh
// compiled model (seed it from fold for reproducible runs); Run fits it with
// opts (passed to Fit as given: Epochs, BatchSize, Verbose, Callbacks...) on
// the training samples and evaluates it on the held-out ones. When ctx is
// cancelled or a fold fails, Run returns the folds finished so far with the
// error.
func (s Splitter) Run(ctx context.Context, x, y *tensor.Tensor, build func(fold int) (*goras.Model, error), opts ...goras.Option) (*Result, error) {
	switch {
	case x == nil || y == nil:
		return nil, errors.New("crossval: x and y are required")
	case x.Rank() == 0 || y.Rank() == 0 || x.Dim(0) != y.Dim(0):
		return nil, fmt.Errorf("crossval: x %v and y %v must have the same number of samples (first dimension)", x.Shape(), y.Shape())
	case build == nil:
		return nil, errors.New("crossval: build is required: a func(fold int) (*goras.Model, error) returning a fresh compiled model")
	}
	folds, err := s.Split(x.Dim(0))
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, f := range folds {
		if err := ctx.Err(); err != nil {
			return res.finish(), err
		}
		fr, err := runFold(ctx, f, x, y, build, opts)
		if err != nil {
			return res.finish(), fmt.Errorf("crossval: fold %d/%d: %w", f.Index+1, s.K, err)
		}
		res.Folds = append(res.Folds, fr)
		if s.Output != nil {
			fmt.Fprintf(s.Output, "Fold %d/%d", f.Index+1, s.K)
			for _, k := range slices.Sorted(maps.Keys(fr.Metrics)) {
				fmt.Fprintf(s.Output, " - %s: %.4f", k, fr.Metrics[k])
			}
			fmt.Fprintln(s.Output)
		}
	}
	return res.finish(), nil
}

func runFold(ctx context.Context, f Fold, x, y *tensor.Tensor, build func(int) (*goras.Model, error), opts []goras.Option) (FoldResult, error) {
	m, err := build(f.Index)
	if err != nil {
		return FoldResult{}, err
	}
	if m == nil {
		return FoldResult{}, errors.New("build returned a nil model")
	}
	if m.Optimizer() == nil {
		return FoldResult{}, errors.New("build must return a compiled model; call Compile before returning it")
	}
	h, err := m.Fit(ctx, gather(x, f.Train), gather(y, f.Train), opts...)
	if err != nil {
		return FoldResult{}, err
	}
	logs, err := m.Evaluate(gather(x, f.Test), gather(y, f.Test), goras.Verbose(0))
	if err != nil {
		return FoldResult{}, err
	}
	return FoldResult{Fold: f, Metrics: logs, History: h}, nil
}

// gather copies the samples idx of t into a new tensor.
func gather(t *tensor.Tensor, idx []int) *tensor.Tensor {
	row := t.Len() / t.Dim(0)
	out := tensor.New(append([]int{len(idx)}, t.Shape()[1:]...)...)
	src, dst := t.Data(), out.Data()
	for i, j := range idx {
		copy(dst[i*row:(i+1)*row], src[j*row:(j+1)*row])
	}
	return out
}

// finish computes the names, means and deviations.
func (r *Result) finish() *Result {
	r.Mean, r.Std = map[string]float64{}, map[string]float64{}
	r.Names = nil
	if len(r.Folds) == 0 {
		return r
	}
	r.Names = slices.Sorted(maps.Keys(r.Folds[0].Metrics))
	for _, name := range r.Names {
		vs := make([]float64, len(r.Folds))
		for i, f := range r.Folds {
			vs[i] = f.Metrics[name]
		}
		r.Mean[name], r.Std[name] = meanStd(vs)
	}
	return r
}

// meanStd returns the mean and the population standard deviation, in two
// passes for accuracy.
func meanStd(vs []float64) (mean, std float64) {
	for _, v := range vs {
		mean += v
	}
	mean /= float64(len(vs))
	var ss float64
	for _, v := range vs {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(vs)))
}

// String is a table of the folds' scores with their mean and std, e.g.
//
//	fold  train  test  accuracy    loss
//	   1    120    30    1.0000  0.0076
//	   2    120    30    0.9667  0.0735
//	mean                 0.9833  0.0406
//	 std                 0.0167  0.0330
func (r *Result) String() string {
	head := []string{"fold", "train", "test"}
	head = append(head, r.Names...)
	rows := [][]string{head}
	for _, f := range r.Folds {
		row := []string{fmt.Sprint(f.Index + 1), fmt.Sprint(len(f.Train)), fmt.Sprint(len(f.Test))}
		for _, n := range r.Names {
			row = append(row, fmt.Sprintf("%.4f", f.Metrics[n]))
		}
		rows = append(rows, row)
	}
	for _, stat := range []struct {
		label string
		m     map[string]float64
	}{{"mean", r.Mean}, {"std", r.Std}} {
		row := []string{stat.label, "", ""}
		for _, n := range r.Names {
			row = append(row, fmt.Sprintf("%.4f", stat.m[n]))
		}
		rows = append(rows, row)
	}
	width := make([]int, len(head))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(strings.Repeat(" ", width[i]-len(c)) + c)
		}
		b.WriteString("\n")
	}
	return b.String()
}
