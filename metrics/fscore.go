package metrics

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/tensor"
)

// F1Score is Keras's F1Score (FBetaScore with beta 1) for outputs of
// classes: per class, precision p = tp/(tp+fp+ε) and recall r =
// tp/(tp+fn+ε), then F = 2pr/(p+r+ε), with ε = 1e-7 as Keras. A prediction
// counts for the classes at its row's maximum (Keras's threshold=None), or
// for those above a threshold.
//
// Keras's default average=None gives one score per class, which a log line
// cannot hold: f1_score by name is the macro average (the mean of the
// classes' scores); PerClass gives the scores themselves, and NewF1Score
// takes "micro" (counts pooled over the classes) and "weighted" (scores
// weighted by each class's number of true samples) too.
type F1Score struct {
	name       string
	average    string
	threshold  float32 // < 0: the row's maximum
	tp, fp, fn []int64
	support    []int64
}

// NewF1Score returns an F1 score over classes logged as name: average is
// "macro", "micro" or "weighted"; threshold in (0, 1], or 0 for Keras's
// default, each row's maximum.
func NewF1Score(name string, classes int, average string, threshold float32) (*F1Score, error) {
	switch {
	case average != "macro" && average != "micro" && average != "weighted":
		return nil, fmt.Errorf("F1 score average %q: want \"macro\", \"micro\" or \"weighted\"", average)
	case threshold < 0 || threshold > 1:
		return nil, fmt.Errorf("F1 score threshold %g: want one in (0, 1], or 0 for each row's maximum", threshold)
	case classes < 1:
		return nil, fmt.Errorf("F1 score of %d classes", classes)
	}
	if threshold == 0 {
		threshold = -1
	}
	return &F1Score{name: name, average: average, threshold: threshold,
		tp: make([]int64, classes), fp: make([]int64, classes), fn: make([]int64, classes), support: make([]int64, classes)}, nil
}

// Name implements Metric.
func (m *F1Score) Name() string { return m.name }

// Reset implements Metric.
func (m *F1Score) Reset() {
	for _, s := range [][]int64{m.tp, m.fp, m.fn, m.support} {
		clear(s)
	}
}

// Update takes one-hot targets, or class indices (one per row), which it
// reads as one-hot.
func (m *F1Score) Update(pred, target *tensor.Tensor) {
	p, t := pred.Data(), target.Data()
	n := len(m.tp)
	rows := len(p) / n
	sparse := len(t) == rows && n > 1
	for r := range rows {
		row := p[r*n : (r+1)*n]
		hi := float32(math.Inf(-1))
		for _, v := range row {
			hi = max(hi, v)
		}
		for k, v := range row {
			yes := v > m.threshold
			if m.threshold < 0 {
				yes = v >= hi && math.Abs(float64(v)) > 1e-9
			}
			var truth bool
			if sparse {
				truth = int(t[r]) == k
			} else {
				truth = t[r*n+k] != 0
			}
			switch {
			case yes && truth:
				m.tp[k]++
			case yes:
				m.fp[k]++
			case truth:
				m.fn[k]++
			}
			if truth {
				m.support[k]++
			}
		}
	}
}

// fscore is Keras's F1 from counts, with its ε.
func fscore(tp, fp, fn int64) float64 {
	const eps = 1e-7
	p := float64(tp) / (float64(tp+fp) + eps)
	r := float64(tp) / (float64(tp+fn) + eps)
	return 2 * p * r / (p + r + eps)
}

// PerClass returns each class's F1 score (Keras's average=None).
func (m *F1Score) PerClass() []float64 {
	out := make([]float64, len(m.tp))
	for k := range out {
		out[k] = fscore(m.tp[k], m.fp[k], m.fn[k])
	}
	return out
}

// Result implements Metric.
func (m *F1Score) Result() float64 {
	switch m.average {
	case "micro":
		var tp, fp, fn int64
		for k := range m.tp {
			tp, fp, fn = tp+m.tp[k], fp+m.fp[k], fn+m.fn[k]
		}
		return fscore(tp, fp, fn)
	case "weighted":
		var total int64
		for _, s := range m.support {
			total += s
		}
		var f float64
		for k, s := range m.PerClass() {
			f += s * float64(m.support[k]) / (float64(total) + 1e-7)
		}
		return f
	}
	var sum float64
	for _, s := range m.PerClass() {
		sum += s
	}
	return sum / float64(len(m.tp))
}

// newF1 is the constructor Register takes for f1_score.
func newF1(name string) func(pred, target []int) (Metric, error) {
	return func(pred, target []int) (Metric, error) {
		if len(pred) == 0 {
			return nil, fmt.Errorf("needs an output of classes, got a scalar")
		}
		k := pred[len(pred)-1]
		perRow := tensor.Numel(pred) / k
		if n := tensor.Numel(target); n != tensor.Numel(pred) && n != perRow {
			return nil, fmt.Errorf("needs one-hot targets shaped like the output %s, or one class index per sample, got %s",
				tensor.ShapeString(pred, true), tensor.ShapeString(target, true))
		}
		return NewF1Score(name, k, "macro", 0)
	}
}
