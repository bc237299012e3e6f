package metrics

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/tensor"
)

// Keras's Precision, Recall and AUC compare every output with its target,
// as yes/no answers: a target is positive when it is not 0, a prediction
// when it is above the threshold. Keras casts y_true to bool before it
// weighs anything (keras/src/metrics/metrics_utils.py, in
// update_confusion_matrix_variables and in the optimised path AUC's evenly
// spaced thresholds take, multi_label or not), so a soft label such as 0.3,
// or one outside [0, 1] such as 2 or -1, is one whole positive, not a
// fraction of one. Outputs of several columns are flattened, as Keras does
// (micro-averaging over the columns). Counts are kept as integers, exact at
// any size.

// counts are what Precision and Recall are ratios of: the true positives,
// false positives and false negatives at threshold. Both count the same
// way, and differ only in the ratio they report.
type counts struct {
	name       string
	threshold  float32
	tp, fp, fn int64
}

// Name implements Metric.
func (m *counts) Name() string { return m.name }

// Reset implements Metric.
func (m *counts) Reset() { m.tp, m.fp, m.fn = 0, 0, 0 }

// Update implements Metric.
func (m *counts) Update(pred, target *tensor.Tensor) {
	t := target.Data()
	for i, v := range pred.Data() {
		switch yes, positive := v > m.threshold, t[i] != 0; {
		case yes && positive:
			m.tp++
		case yes:
			m.fp++
		case positive:
			m.fn++
		}
	}
}

// Precision is Keras's Precision(thresholds=0.5): true positives over all
// positive predictions, 0 before any.
type Precision struct{ counts }

// NewPrecision returns a precision logged as name, with Keras's default
// threshold 0.5 or another.
func NewPrecision(name string, threshold float32) *Precision {
	return &Precision{counts{name: name, threshold: threshold}}
}

// Result implements Metric.
func (m *Precision) Result() float64 { return ratio(m.tp, m.tp+m.fp) }

// Recall is Keras's Recall(thresholds=0.5): true positives over all
// positive targets, 0 before any.
type Recall struct{ counts }

// NewRecall returns a recall logged as name, with Keras's default
// threshold 0.5 or another.
func NewRecall(name string, threshold float32) *Recall {
	return &Recall{counts{name: name, threshold: threshold}}
}

// Result implements Metric.
func (m *Recall) Result() float64 { return ratio(m.tp, m.tp+m.fn) }

// AUC is Keras's AUC(num_thresholds=200, curve="ROC",
// summation_method="interpolation"): the area under the ROC curve, from
// true- and false-positive counts at thresholds spread evenly over [0, 1]
// (plus one just below 0 and one just above 1), the curve between them
// taken as straight in the true-positive rate (trapezoids), as Keras does.
// Predictions are clipped to [0, 1]; each falls into a bucket between two
// thresholds, as Keras's optimised path counts them, so a step costs one
// pass over the outputs whatever the number of thresholds. Targets count
// as above: any but 0 is a positive (Keras's cast to bool), so soft labels
// give the AUC of the labels cast to 0/1 (0 stays 0, any other value is 1),
// not one weighted by the labels.
type AUC struct {
	name    string
	buckets []int64 // positives, then negatives, per bucket
	n       int     // thresholds
}

// NewAUC returns an AUC logged as name with numThresholds thresholds
// (Keras's default 200, at least 2).
func NewAUC(name string, numThresholds int) *AUC {
	if numThresholds < 2 {
		panic(fmt.Sprintf("metrics: NewAUC with %d thresholds, want at least 2", numThresholds))
	}
	return &AUC{name: name, n: numThresholds, buckets: make([]int64, 2*numThresholds)}
}

// Name implements Metric.
func (m *AUC) Name() string { return m.name }

// Reset implements Metric.
func (m *AUC) Reset() { clear(m.buckets) }

// Update puts each prediction p in bucket ceil(p·(n-1)) - 1 (0 for p = 0):
// it is above exactly the thresholds of the buckets up to its own. The
// product is float32, as Keras computes it, so that a prediction equal to a
// threshold falls where Keras puts it.
func (m *AUC) Update(pred, target *tensor.Tensor) {
	t := target.Data()
	scale := float32(m.n - 1)
	for i, v := range pred.Data() {
		v = min(max(v, 0), 1)
		b := max(int(math.Ceil(float64(v*scale)))-1, 0)
		if t[i] != 0 {
			m.buckets[b]++
		} else {
			m.buckets[m.n+b]++
		}
	}
}

// Result sums trapezoids between consecutive thresholds: Σ (fpr_i -
// fpr_{i+1})·(tpr_i + tpr_{i+1})/2, the rates 0 where undefined.
func (m *AUC) Result() float64 {
	var pos, neg int64
	for b := range m.n {
		pos += m.buckets[b]
		neg += m.buckets[m.n+b]
	}
	// tp(i), fp(i): predictions in buckets ≥ i, i.e. above threshold i.
	tp, fp := pos, neg
	tpr, fpr := ratio(tp, pos), ratio(fp, neg)
	var area float64
	for i := 1; i < m.n; i++ {
		tp -= m.buckets[i-1]
		fp -= m.buckets[m.n+i-1]
		t2, f2 := ratio(tp, pos), ratio(fp, neg)
		area += (fpr - f2) * (tpr + t2) / 2
		tpr, fpr = t2, f2
	}
	return area
}

// newConfusion returns the constructor Register takes for precision,
// recall and auc with Keras's defaults.
func newConfusion(name string, make func() Metric) func(pred, target []int) (Metric, error) {
	return func(pred, target []int) (Metric, error) {
		if err := checkSameValues(pred, target); err != nil {
			return nil, fmt.Errorf("%w (%s compares every output with a 0/1 target)", err, name)
		}
		return make(), nil
	}
}
