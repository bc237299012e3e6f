package main

import (
	"fmt"

	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/tensor"
)

// macroF1 is a metric written outside goras: the F1 score of each class,
// averaged over the classes with equal weight (sklearn's f1_score with
// average="macro"), so that a class the model neglects counts as much as a
// frequent one. It counts a confusion matrix over the batches of an epoch.
type macroF1 struct {
	sparse bool // targets are class indices, not one-hot rows
	counts *metrics.Confusion
}

// CompileOptions{Metrics: []string{"macro_f1"}} finds it by this name.
func init() { metrics.Register("macro_f1", newMacroF1) }

// newMacroF1 takes the per-sample shapes of the model output, (classes),
// and of the targets: one-hot (classes) or class indices (), (1).
func newMacroF1(pred, target []int) (metrics.Metric, error) {
	if len(pred) != 1 || pred[0] < 2 {
		return nil, fmt.Errorf("needs a model output of one score per class, 2 classes or more, got per-sample shape %v", pred)
	}
	sparse := len(target) == 0 || (len(target) == 1 && target[0] == 1)
	if !sparse && !tensor.SameShape(pred, target) {
		return nil, fmt.Errorf("needs one-hot targets shaped like the output %v or class indices, got per-sample shape %v", pred, target)
	}
	return &macroF1{sparse: sparse, counts: metrics.ConfusionMatrix(nil, nil, pred[0])}, nil
}

func (m *macroF1) Name() string { return "macro_f1" }

func (m *macroF1) Reset() {
	for _, row := range m.counts.Counts {
		clear(row)
	}
}

func (m *macroF1) Update(pred, target *tensor.Tensor) {
	k := m.counts.Classes()
	p, t := pred.Data(), target.Data()
	for i := range pred.Dim(0) {
		var truth int
		if m.sparse {
			truth = int(t[i])
		} else {
			truth = tensor.ArgMaxRow(t[i*k : (i+1)*k])
		}
		if truth >= 0 && truth < k { // a label outside the classes counts nowhere
			m.counts.Counts[truth][tensor.ArgMaxRow(p[i*k:(i+1)*k])]++
		}
	}
}

func (m *macroF1) Result() float64 {
	var s float64
	for c := range m.counts.Classes() {
		s += m.counts.F1(c)
	}
	return s / float64(m.counts.Classes())
}
