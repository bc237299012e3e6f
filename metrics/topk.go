package metrics

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// TopKAccuracy is Keras's top_k_categorical_accuracy (one-hot targets) and
// sparse_top_k_categorical_accuracy (class indices): the share of samples
// whose true class is among the K highest predictions. As in Keras, ties
// count in the sample's favour: the class is in the top K when fewer than K
// classes score strictly higher.
type TopKAccuracy struct {
	name      string
	k         int
	sparse    bool
	hit, seen int64
}

// NewTopKAccuracy returns a top-k accuracy logged as name; sparse says the
// targets are class indices (one-hot targets are read by their argmax
// either way). Keras's default k is 5.
func NewTopKAccuracy(name string, k int, sparse bool) *TopKAccuracy {
	return &TopKAccuracy{name: name, k: k, sparse: sparse}
}

// Name implements Metric.
func (m *TopKAccuracy) Name() string { return m.name }

// Reset implements Metric.
func (m *TopKAccuracy) Reset() { m.hit, m.seen = 0, 0 }

// Result implements Metric.
func (m *TopKAccuracy) Result() float64 {
	if m.seen == 0 {
		return 0
	}
	return float64(m.hit) / float64(m.seen)
}

// Update reads the prediction as rows of its last axis (a sample with
// several positions, e.g. (N, T, classes), gives one row per position).
func (m *TopKAccuracy) Update(pred, target *tensor.Tensor) {
	p, t := pred.Data(), target.Data()
	n := pred.Dim(pred.Rank() - 1)
	rows := len(p) / n
	oneHot := len(t) == len(p) && n > 1
	for r := range rows {
		row := p[r*n : (r+1)*n]
		class := 0
		if oneHot {
			class = tensor.ArgMaxRow(t[r*n : (r+1)*n])
		} else {
			class = int(t[r])
		}
		if class < 0 || class >= n {
			m.seen++
			continue
		}
		// A NaN ranks above every number, as NumPy's and PyTorch's top_k
		// sort it, and a NaN true score is never in the top k (Keras's
		// in_top_k on those backends and TensorFlow's): a model gone NaN
		// scores 0, not 1.
		own := row[class]
		higher := 0
		for _, v := range row {
			if v > own || v != v {
				higher++
			}
		}
		if own == own && higher < m.k {
			m.hit++
		}
		m.seen++
	}
}

// newTopK returns the constructor Register takes for a top-5 accuracy.
func newTopK(name string, sparse bool) func(pred, target []int) (Metric, error) {
	return func(pred, target []int) (Metric, error) {
		if len(pred) == 0 || pred[len(pred)-1] < 2 {
			return nil, fmt.Errorf("needs an output of classes (at least 2 per sample), got shape %s", tensor.ShapeString(pred, true))
		}
		perRow := tensor.Numel(pred) / pred[len(pred)-1]
		switch n := tensor.Numel(target); {
		case n == tensor.Numel(pred):
		case sparse && n == perRow:
		case sparse:
			return nil, fmt.Errorf("needs one class index per sample, got targets %s for the output %s", tensor.ShapeString(target, true), tensor.ShapeString(pred, true))
		default:
			return nil, fmt.Errorf("needs one-hot targets shaped like the output %s, got %s; for class indices use sparse_top_k_categorical_accuracy",
				tensor.ShapeString(pred, true), tensor.ShapeString(target, true))
		}
		return NewTopKAccuracy(name, 5, sparse), nil
	}
}
