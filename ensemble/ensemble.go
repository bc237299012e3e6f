// Package ensemble averages the predicted class probabilities of several
// models, optionally over small shifts of each input (test-time
// augmentation), and scores the result:
//
//	models, err := ensemble.Load("best-1.safetensors", "best-2.safetensors")
//	probs, err := ensemble.Predict(models, test.X.WithChannelAxis(), ensemble.WithShifts(ensemble.TTAShifts...))
//	acc := ensemble.Accuracy(probs, test.Y)
//
// Averaging probabilities (not votes) lets a confident model outweigh two
// unsure ones; models that were trained from different seeds make different
// mistakes, so the average makes fewer.
package ensemble

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// Model is what an ensemble member must do: *goras.Model is one.
type Model interface {
	Predict(x goras.Data, opts ...goras.Option) (*tensor.Tensor, error)
}

// Load reads model files written by Model.Save.
func Load(paths ...string) ([]Model, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("ensemble: no model files given")
	}
	ms := make([]Model, len(paths))
	for i, p := range paths {
		m, err := saving.Load(p)
		if err != nil {
			return nil, fmt.Errorf("ensemble: %w", err)
		}
		ms[i] = m
	}
	return ms, nil
}

// Shift moves an image DY pixels down and DX pixels right (negative: up,
// left); pixels moved in from outside are 0, the MNIST background.
type Shift struct{ DY, DX int }

// TTAShifts are the test-time augmentation of WithShifts as the bounty
// recipe uses it: the image itself and the four one-pixel shifts.
var TTAShifts = []Shift{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}}

// Option tunes Predict.
type Option func(*settings)

type settings struct {
	shifts []Shift
	batch  int
}

// WithShifts averages each model's probabilities over these shifted copies
// of every image (test-time augmentation). Default: {0, 0}, the images as
// they are.
func WithShifts(s ...Shift) Option {
	return func(o *settings) { o.shifts = append([]Shift(nil), s...) }
}

// WithBatchSize is the batch size of each model's Predict. Default 1000.
func WithBatchSize(n int) Option { return func(o *settings) { o.batch = n } }

// Predict returns the mean, over models and shifts, of the predicted class
// probabilities for x: shape (N, classes), each row summing to 1. x is
// (N, H, W) or (N, H, W, C) when shifts other than {0, 0} are asked for. A
// model compiled with a from-logits cross-entropy has its outputs (which must
// be finite) turned into probabilities by softmax first; any other model must
// output probabilities. It may be called from many goroutines at once on the
// same models and data, as goras.Model's Predict may: each call shifts and
// sums in buffers of its own.
func Predict(models []Model, x goras.Data, opts ...Option) (*tensor.Tensor, error) {
	s := settings{shifts: []Shift{{0, 0}}, batch: 1000}
	for _, o := range opts {
		o(&s)
	}
	switch {
	case len(models) == 0:
		return nil, fmt.Errorf("ensemble: no models to average")
	case len(s.shifts) == 0:
		return nil, fmt.Errorf("ensemble: WithShifts needs at least one shift; use {0, 0} for the images as they are")
	case s.batch <= 0:
		return nil, fmt.Errorf("ensemble: batch size must be positive, got %d", s.batch)
	}
	var sum *tensor.Tensor
	for _, sh := range s.shifts {
		xs, err := Shifted(x, sh)
		if err != nil {
			return nil, err
		}
		for i, m := range models {
			p, err := m.Predict(xs, goras.BatchSize(s.batch), goras.Verbose(0))
			if err != nil {
				return nil, fmt.Errorf("ensemble: model %d: %w", i+1, err)
			}
			if p.Rank() != 2 {
				return nil, fmt.Errorf("ensemble: model %d outputs shape %v; want (N, classes)", i+1, p.Shape())
			}
			if fromLogits(m) {
				// A NaN or infinite logit would make its row NaN, and the
				// average of every model with it, without a word.
				if err := checkLogits(p); err != nil {
					return nil, fmt.Errorf("ensemble: model %d: %w", i+1, err)
				}
				softmaxRows(p)
			} else if err := checkProbabilities(p); err != nil {
				return nil, fmt.Errorf("ensemble: model %d: %w", i+1, err)
			}
			if sum == nil {
				sum = p
				continue
			}
			if !tensor.SameShape(sum.Shape(), p.Shape()) {
				return nil, fmt.Errorf("ensemble: model %d outputs shape %v, model 1 %v; the models must predict the same classes", i+1, p.Shape(), sum.Shape())
			}
			for j, v := range p.Data() {
				sum.Data()[j] += v
			}
		}
	}
	scale := 1 / float32(len(models)*len(s.shifts))
	for j := range sum.Data() {
		sum.Data()[j] *= scale
	}
	return sum, nil
}

// Accuracy is the fraction of rows of probs (N, classes) whose largest
// value is at the label's class.
func Accuracy(probs *tensor.Tensor, labels []uint8) (float64, error) {
	if probs == nil {
		return 0, fmt.Errorf("ensemble: Accuracy of no predictions (nil) against %d labels; want (%d, classes)", len(labels), len(labels))
	}
	if probs.Rank() != 2 || probs.Dim(0) != len(labels) {
		return 0, fmt.Errorf("ensemble: Accuracy of %v predictions against %d labels; want (%d, classes)", probs.Shape(), len(labels), len(labels))
	}
	if len(labels) == 0 {
		return 0, fmt.Errorf("ensemble: Accuracy of no predictions")
	}
	right := 0
	for i, c := range tensor.ArgMax(probs) {
		if c == int(labels[i]) {
			right++
		}
	}
	return float64(right) / float64(len(labels)), nil
}

// fromLogits says whether m was compiled with a cross-entropy on logits,
// so that its outputs are scores, not probabilities.
func fromLogits(m Model) bool {
	l, ok := m.(interface{ Loss() losses.Loss })
	if !ok {
		return false
	}
	switch loss := l.Loss().(type) {
	case losses.CategoricalCrossentropy:
		return loss.FromLogits
	case losses.SparseCategoricalCrossentropy:
		return loss.FromLogits
	case losses.CategoricalFocalCrossentropy:
		return loss.FromLogits
	}
	return false
}

// softmaxRows replaces each row of t (N, K) by its softmax.
func softmaxRows(t *tensor.Tensor) {
	k := t.Dim(1)
	d := t.Data()
	for i := 0; i < len(d); i += k {
		row := d[i : i+k]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var sum float64
		for j, v := range row {
			e := math.Exp(float64(v - mx))
			row[j] = float32(e)
			sum += e
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / sum)
		}
	}
}

// checkLogits makes sure every value of t (N, K) is finite.
func checkLogits(t *tensor.Tensor) error {
	if i := kernel.FirstNonFinite(t.Data()); i >= 0 {
		return fmt.Errorf("row %d holds the logit %g; a model's outputs must be finite (did its training diverge?)", i/t.Dim(1), t.Data()[i])
	}
	return nil
}

// checkProbabilities makes sure every row of t is a probability
// distribution, within float32 rounding.
func checkProbabilities(t *tensor.Tensor) error {
	k := t.Dim(1)
	d := t.Data()
	for i := 0; i < len(d); i += k {
		var sum float64
		for _, v := range d[i : i+k] {
			if v < 0 || math.IsNaN(float64(v)) {
				return fmt.Errorf("row %d holds %g, not a probability; end the model with a softmax or compile it with a from-logits loss", i/k, v)
			}
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-3 {
			return fmt.Errorf("row %d sums to %g, not 1; end the model with a softmax or compile it with a from-logits loss", i/k, sum)
		}
	}
	return nil
}
