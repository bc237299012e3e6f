package goras

import (
	"fmt"
	"math"
	"sort"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// Sample weights follow Keras: a batch's loss is Σ wᵢ·lᵢ / N (the
// "sum_over_batch_size" reduction divides by the batch size, not by the
// weights' sum), each output's loss and the total alike; metrics are not
// weighted (Keras weights only its weighted_metrics). class_weight becomes
// a weight per training sample, the weight of the sample's class; it does
// not weight validation.

// SampleWeight weights each sample's loss by w[i], one weight per sample of
// x (Keras's sample_weight). In Fit, with ValidationSplit, the held-out
// samples keep their weights, so val_loss is weighted too; in Evaluate the
// loss is weighted.
func SampleWeight(w []float32) Option {
	return func(s *settings) { s.mark("sample_weight"); s.sampleWeight = w }
}

// ClassWeight weights each training sample's loss by the weight of its class
// (Keras's class_weight), e.g. {0: 1, 1: 5} to count the rare class 1 five
// times. The class of a sample is its label (sparse targets), the position
// of its largest value (one-hot targets) or its value rounded (one binary
// column); a class missing from the map weighs 1. Only for a model with one
// output; not together with SampleWeight.
func ClassWeight(w map[int]float64) Option {
	return func(s *settings) { s.mark("class_weight"); s.classWeight = w }
}

// checkSampleWeights validates user weights for n samples.
func checkSampleWeights(method string, w []float32, n int) error {
	if len(w) != n {
		return fmt.Errorf("goras: %s: sample_weight has %d weights but x has %d samples; give one weight per sample", method, len(w), n)
	}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("goras: %s: sample_weight[%d] is %g; weights must be finite and ≥ 0", method, i, v)
		}
	}
	return nil
}

// classWeights turns class_weight into one weight per sample of d.
func (m *Model) classWeights(cw map[int]float64, d *dataSet) ([]float32, error) {
	if len(m.outputs) != 1 {
		return nil, fmt.Errorf("goras: fit: class_weight is only for a model with one output, this one has %d (%v); give sample_weight instead", len(m.outputs), m.OutputNames())
	}
	target, out := d.targets[0], m.outputs[0].shape
	per := max(tensor.Numel(target), 1)
	classes := per // one-hot rows
	switch {
	case len(target) > 1:
		return nil, fmt.Errorf("goras: fit: class_weight needs one label or one one-hot row per sample, but the targets are %v per sample; give sample_weight instead", target)
	case per == 1 && out[len(out)-1] > 1:
		classes = out[len(out)-1] // sparse labels
	case per == 1:
		classes = 2 // one binary column: classes 0 and 1
	}
	keys := make([]int, 0, len(cw))
	for k := range cw {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		if v := cw[k]; k < 0 || k >= classes || !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("goras: fit: class_weight {%d: %g}: classes run 0..%d and weights must be finite and ≥ 0", k, v, classes-1)
		}
	}
	y := all(d.ys[0])
	n := d.samples()
	w := make([]float32, n)
	for i := range w {
		row := y[i*per : (i+1)*per]
		c := 0
		if per > 1 {
			for j, v := range row {
				if v > row[c] {
					c = j
				}
			}
		} else {
			c = int(math.Round(float64(row[0])))
		}
		w[i] = 1
		if v, ok := cw[c]; ok {
			w[i] = float32(v)
		}
	}
	return w, nil
}

// outputLoss is output i's loss computed by the last Forward, weighted by
// the batch's sample weights when the plan has them.
func (bp *batchPlan) outputLoss(i int) float64 {
	l := bp.losses[i]
	if bp.sw == nil {
		return l.Loss()
	}
	sl := l.(autograd.SampleLosser) // addLosses checked it
	sl.SampleLosses(bp.perSample)
	var s float64
	for j, v := range bp.perSample {
		s += float64(bp.sw[j]) * v
	}
	return s / float64(len(bp.perSample))
}

// weighRows puts sample weights between each output and its loss, so that
// the gradient reaching output row j is scaled by the sample's weight.
func (bp *batchPlan) weighRows(i int, pred *autograd.Var) *autograd.Var {
	if bp.sw == nil {
		return pred
	}
	return bp.plan.ScaleRows(pred, bp.sw)
}
