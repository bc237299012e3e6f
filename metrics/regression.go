package metrics

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/tensor"
)

// Keras's regression metrics: mean absolute error, mean squared error and
// its root, over every output of every sample seen since Reset. (Keras
// averages per-sample means over the samples; with as many outputs per
// sample, that is the mean over every output.)

const (
	errAbsolute    = iota // mae
	errSquared            // mse
	errRootSquared        // rmse: sqrt of the running mse, as Keras's RootMeanSquaredError
)

type meanError struct {
	name  string
	kind  int
	sum   float64
	count int64
}

func (m *meanError) Name() string { return m.name }

func (m *meanError) Reset() { m.sum, m.count = 0, 0 }

func (m *meanError) Update(pred, target *tensor.Tensor) {
	t := target.Data()
	for i, v := range pred.Data() {
		e := float64(v) - float64(t[i])
		if m.kind == errAbsolute {
			m.sum += math.Abs(e)
		} else {
			m.sum += e * e
		}
	}
	m.count += int64(pred.Len())
}

func (m *meanError) Result() float64 {
	if m.count == 0 {
		return 0
	}
	r := m.sum / float64(m.count)
	if m.kind == errRootSquared {
		return math.Sqrt(r)
	}
	return r
}

// checkSameValues accepts targets with one value per output (the output's
// shape, or without a last axis of 1).
func checkSameValues(pred, target []int) error {
	if tensor.Numel(pred) == tensor.Numel(target) {
		return nil
	}
	hint := ""
	if tensor.Numel(target) == 1 && tensor.Numel(pred) > 1 {
		hint = "; the targets look like class indices: one-hot encode them"
	}
	return fmt.Errorf("needs targets with one value per output, shape %s, got %s%s",
		tensor.ShapeString(pred, true), tensor.ShapeString(target, true), hint)
}

// newMeanError returns the constructor Register takes for a regression
// metric logged as name.
func newMeanError(name string, kind int) func(pred, target []int) (Metric, error) {
	return func(pred, target []int) (Metric, error) {
		if err := checkSameValues(pred, target); err != nil {
			return nil, err
		}
		return &meanError{name: name, kind: kind}, nil
	}
}
