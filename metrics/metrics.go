// Package metrics holds Keras's training metrics. A metric accumulates over
// the batches of an epoch (Update), and Result is the value over everything
// seen so far, which is what the progress bar and History show.
//
// By Keras's names (Get; CompileOptions.Metrics): accuracy (acc, resolved
// from the shapes), categorical_accuracy, sparse_categorical_accuracy,
// binary_accuracy (over every output, threshold 0.5), mae
// (mean_absolute_error), mse (mean_squared_error), rmse
// (root_mean_squared_error), top_k_categorical_accuracy and
// sparse_top_k_categorical_accuracy (k = 5), precision and recall
// (threshold 0.5), auc (ROC, 200 thresholds, interpolated) and f1_score
// (macro average; see F1Score). NewTopKAccuracy, NewPrecision, NewRecall,
// NewAUC and NewF1Score make them with other settings, for Register.
package metrics

import "github.com/goras-ml/goras/tensor"

// Metric is a running measure of predictions against targets.
type Metric interface {
	// Name is the name shown in logs and History, e.g. "accuracy".
	Name() string
	Reset()
	// Update adds a batch: pred has rows×classes values, target is either
	// one-hot (rows×classes) or one class index per row.
	Update(pred, target *tensor.Tensor)
	Result() float64
}

// Accuracy kinds, as Keras resolves "accuracy" from the shapes.
const (
	kindCategorical = iota // one-hot targets: argmax(y) == argmax(p)
	kindSparse             // class-index targets: y == argmax(p)
	kindBinary             // every output: (p > 0.5) == y, as Keras's binary_accuracy
)

type accuracy struct {
	name          string
	kind          int
	correct, seen int64
}

// Get resolves a metric by name for a model output of per-sample shape pred
// and targets of per-sample shape target. "accuracy" and "acc" become binary,
// sparse categorical or categorical accuracy from the shapes, as in Keras;
// the metric keeps the name the user wrote. Other names are looked up among
// the metrics added with Register.
func Get(name string, pred, target []int) (Metric, error) {
	key := normalize(name)
	switch key {
	case "accuracy", "acc":
		switch {
		case len(pred) > 0 && pred[len(pred)-1] == 1:
			return &accuracy{name: key, kind: kindBinary}, nil
		case len(target) < len(pred) || (len(target) > 0 && target[len(target)-1] == 1):
			return &accuracy{name: key, kind: kindSparse}, nil
		default:
			return &accuracy{name: key, kind: kindCategorical}, nil
		}
	case "categorical_accuracy":
		return &accuracy{name: key, kind: kindCategorical}, nil
	case "sparse_categorical_accuracy":
		return &accuracy{name: key, kind: kindSparse}, nil
	case "binary_accuracy":
		return &accuracy{name: key, kind: kindBinary}, nil
	}
	return registered(name, key, pred, target)
}

func (a *accuracy) Name() string { return a.name }

func (a *accuracy) Reset() { a.correct, a.seen = 0, 0 }

func (a *accuracy) Result() float64 {
	if a.seen == 0 {
		return 0
	}
	return float64(a.correct) / float64(a.seen)
}

func (a *accuracy) Update(pred, target *tensor.Tensor) {
	p, t := pred.Data(), target.Data()
	if a.kind == kindBinary {
		rows := pred.Dim(0)
		a.updateBinary(p, t, rows, len(p)/rows)
		return
	}
	// Keras takes the argmax over the last axis: an output of several
	// positions, e.g. (N, T, classes), has one row, and one target, per
	// position, and the accuracy is over positions.
	rows := pred.Dim(0)
	if pred.Rank() > 1 {
		rows = len(p) / max(pred.Dim(pred.Rank()-1), 1)
	}
	n := len(p) / max(rows, 1)
	for i := 0; i < rows; i++ {
		row := p[i*n : (i+1)*n]
		var ok bool
		switch a.kind {
		case kindSparse:
			ok = tensor.ArgMaxRow(row) == int(t[i])
		default:
			ok = tensor.ArgMaxRow(row) == tensor.ArgMaxRow(t[i*n:(i+1)*n])
		}
		if ok {
			a.correct++
		}
	}
	a.seen += int64(rows)
}

// updateBinary counts every output, as Keras's binary_accuracy: an output
// is right when (p > 0.5) equals its target, 0 or 1. A target with one
// value per sample is compared with each of the sample's outputs, as Keras
// broadcasts it. The mean is over outputs, which for outputs of equal
// count per sample is Keras's mean over samples of their means.
func (a *accuracy) updateBinary(p, t []float32, rows, n int) {
	perRow := len(t) == rows
	for i, v := range p {
		var y float32
		switch {
		case perRow:
			y = t[i/n]
		case i < len(t):
			y = t[i]
		}
		var yhat float32
		if v > 0.5 {
			yhat = 1
		}
		if yhat == y {
			a.correct++
		}
	}
	a.seen += int64(len(p))
}
