package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// binaryCrossentropy is Keras's binary cross-entropy with the default
// "sum_over_batch_size" reduction: the mean over every element of
//
//	-(y·log p + (1-y)·log(1-p)),
//
// which is Keras's mean over the last axis, then over the batch. Targets are
// smoothed first, y ← y·(1-ε) + ε/2. On probabilities p is clipped to
// [Epsilon, 1-Epsilon] (no gradient flows where the clip bites, as in
// Keras); on logits z the stable form max(z, 0) - z·y + log(1 + e^-|z|) is
// used, whose gradient is sigmoid(z) - y.
type binaryCrossentropy struct {
	pred, target *Var
	fromLogits   bool
	smoothing    float64
	loss         float64
}

// BinaryCrossentropy adds the loss for targets in [0, 1] with as many values
// as pred (e.g. pred (N, 1) and target (N) or (N, 1)).
func (p *Plan) BinaryCrossentropy(pred, target *Var, fromLogits bool, labelSmoothing float64) LossOp {
	if pred.Value.Len() != target.Value.Len() {
		panic(fmt.Sprintf("autograd: BinaryCrossentropy of prediction %v and target %v", pred.Shape(), target.Shape()))
	}
	op := &binaryCrossentropy{pred: pred, target: target, fromLogits: fromLogits, smoothing: labelSmoothing}
	p.add(op)
	return op
}

func (o *binaryCrossentropy) Forward(bool) {
	p, t := o.pred.Value.Data(), o.target.Value.Data()
	var s float64
	if o.fromLogits {
		s = kernel.BinaryCrossEntropyLogits(p, t, o.smoothing)
	} else {
		s = kernel.BinaryCrossEntropy(p, t, o.smoothing, Epsilon)
	}
	o.loss = s / float64(len(p))
}

func (o *binaryCrossentropy) Backward() {
	if o.pred.Grad == nil {
		return
	}
	p, t, g := o.pred.Value.Data(), o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float64(len(p))
	if o.fromLogits {
		kernel.BinaryCrossEntropyLogitsGrad(g, p, t, o.smoothing, inv)
	} else {
		kernel.BinaryCrossEntropyGrad(g, p, t, o.smoothing, Epsilon, inv)
	}
}

func (o *binaryCrossentropy) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean over its elements, running
// Forward's kernel on the sample's values.
func (o *binaryCrossentropy) SampleLosses(dst []float64) {
	k := samplesOf("BinaryCrossentropy", o.pred, dst)
	p, t := o.pred.Value.Data(), o.target.Value.Data()
	for s := range dst {
		ps, ts := p[s*k:(s+1)*k], t[s*k:(s+1)*k]
		if o.fromLogits {
			dst[s] = kernel.BinaryCrossEntropyLogits(ps, ts, o.smoothing) / float64(k)
		} else {
			dst[s] = kernel.BinaryCrossEntropy(ps, ts, o.smoothing, Epsilon) / float64(k)
		}
	}
}
