package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// Epsilon is Keras's fuzz factor (keras.config.epsilon()): probabilities are
// clipped to [Epsilon, 1-Epsilon] before their log is taken.
const Epsilon = 1e-7

// crossEntropy is categorical cross-entropy over the last axis, averaged over
// the rows: -Σ_j y_j log p_j per row. Targets are either one-hot rows (n
// values each) or, when sparse, one class index per row.
//
// It works on logits whenever it can: when fromLogits is set, or when the
// prediction is a softmax output (the op then takes over the softmax's
// gradient, as Keras does). Then log p = z - logsumexp(z) is exact and the
// gradient is the familiar p - y. Otherwise it follows Keras's probability
// path: renormalize each row to sum 1, clip to [ε, 1-ε], take the log.
type crossEntropy struct {
	pred, target *Var
	logits       *Var // nil on the probability path
	probs        []float32
	lse          []float32
	m, n         int
	sparse       bool
	smoothing    float32
	loss         float64
	// scale and rowW scale the logits' gradient when the loss reads a
	// softmax through ScaleGradient or ScaleRows (softmaxLogits).
	scale float32
	rowW  []float32
}

// CategoricalCrossentropy adds the loss for one-hot (or soft) targets of
// pred's shape. labelSmoothing ε replaces targets by y(1-ε) + ε/n.
func (p *Plan) CategoricalCrossentropy(pred, target *Var, fromLogits bool, labelSmoothing float64) LossOp {
	checkSameShape("CategoricalCrossentropy", pred, target)
	return p.crossEntropy(pred, target, fromLogits, false, labelSmoothing)
}

// SparseCategoricalCrossentropy adds the loss for integer class targets:
// target holds one class index per row of pred (shape pred's without the
// last axis). The caller checks that indices are in range.
func (p *Plan) SparseCategoricalCrossentropy(pred, target *Var, fromLogits bool) LossOp {
	m, _ := rows(mustShape("SparseCategoricalCrossentropy", pred, 1))
	if target.Value.Len() != m {
		panic(fmt.Sprintf("autograd: SparseCategoricalCrossentropy of prediction %v and target %v", pred.Shape(), target.Shape()))
	}
	return p.crossEntropy(pred, target, fromLogits, true, 0)
}

func (p *Plan) crossEntropy(pred, target *Var, fromLogits, sparse bool, smoothing float64) LossOp {
	m, n := rows(pred.Shape())
	op := &crossEntropy{pred: pred, target: target, m: m, n: n, sparse: sparse, smoothing: float32(smoothing)}
	op.scale = 1
	switch sm, scale, rowW, ok := softmaxLogits(pred); {
	case fromLogits:
		op.logits = pred
		op.probs = make([]float32, m*n)
	case ok:
		sm.fused = true
		op.logits = sm.x
		op.probs = sm.y.Value.Data() // already computed by the softmax
		op.scale, op.rowW = scale, rowW
	}
	op.lse = make([]float32, m)
	p.add(op)
	return op
}

func (o *crossEntropy) Forward(bool) {
	t := o.target.Value.Data()
	var total float64
	switch {
	case o.logits != nil:
		z := o.logits.Value.Data()
		if o.logits == o.pred { // from_logits: the softmax is ours to compute
			kernel.SoftmaxRows(o.probs, z, o.m, o.n)
		}
		if o.sparse {
			total = kernel.SparseCrossEntropyLogits(o.lse, z, t, o.m, o.n)
		} else {
			total = kernel.CrossEntropyLogits(o.lse, z, t, o.m, o.n, o.smoothing)
		}
	case o.sparse:
		total = kernel.SparseCrossEntropyProbs(o.pred.Value.Data(), t, o.m, o.n, Epsilon)
	default:
		total = kernel.CrossEntropyProbs(o.pred.Value.Data(), t, o.m, o.n, o.smoothing, Epsilon)
	}
	o.loss = total / float64(o.m)
}

// Backward adds the mean's gradient: (Σy)·p - y per row with respect to
// the logits, or the probability path's, each divided by the batch.
func (o *crossEntropy) Backward() {
	t := o.target.Value.Data()
	inv := 1 / float32(o.m)
	switch {
	case o.logits != nil && o.logits.Grad != nil && o.rowW != nil:
		o.weightedLogitsGrad(t, inv*o.scale)
	case o.logits != nil && o.logits.Grad != nil:
		if o.sparse {
			kernel.SparseCrossEntropyLogitsGrad(o.logits.Grad.Data(), o.probs, t, o.m, o.n, inv*o.scale)
		} else {
			kernel.CrossEntropyLogitsGrad(o.logits.Grad.Data(), o.probs, t, o.m, o.n, o.smoothing, inv*o.scale)
		}
	case o.logits == nil && o.pred.Grad != nil:
		p := o.pred.Value.Data()
		if o.sparse {
			kernel.SparseCrossEntropyProbsGrad(o.pred.Grad.Data(), p, t, o.m, o.n, inv, Epsilon)
		} else {
			kernel.CrossEntropyProbsGrad(o.pred.Grad.Data(), p, t, o.m, o.n, o.smoothing, inv, Epsilon)
		}
	}
}

// weightedLogitsGrad is Backward's logits path with each sample's rows
// scaled by its weight (sample weights seen through ScaleRows).
func (o *crossEntropy) weightedLogitsGrad(t []float32, inv float32) {
	g, r, n := o.logits.Grad.Data(), o.m/len(o.rowW), o.n
	for s, w := range o.rowW {
		a, b := s*r, (s+1)*r
		if o.sparse {
			kernel.SparseCrossEntropyLogitsGrad(g[a*n:b*n], o.probs[a*n:b*n], t[a:b], r, n, inv*w)
		} else {
			kernel.CrossEntropyLogitsGrad(g[a*n:b*n], o.probs[a*n:b*n], t[a*n:b*n], r, n, o.smoothing, inv*w)
		}
	}
}

func (o *crossEntropy) Loss() float64 { return o.loss }

// gradSlots: the gradient Backward adds to, of the logits or of the
// prediction (a few values per row: zeroing it costs little).
func (o *crossEntropy) gradSlots(dst []gradSlot) []gradSlot {
	if o.logits != nil {
		return slot(dst, o.logits.Grad)
	}
	return slot(dst, o.pred.Grad)
}

// SampleLosses writes each sample's mean of its rows' cross-entropies (one
// row per sample for a (batch, classes) prediction), running Forward's
// kernel on the sample's rows: on the logits path it rewrites those rows
// of lse with the values Forward wrote.
func (o *crossEntropy) SampleLosses(dst []float64) {
	samplesOf("CategoricalCrossentropy", o.pred, dst)
	t := o.target.Value.Data()
	r, n := o.m/len(dst), o.n
	for s := range dst {
		a, b := s*r, (s+1)*r // the sample's rows
		ta, tb := a*n, b*n   // and its targets'
		if o.sparse {
			ta, tb = a, b
		}
		var total float64
		switch {
		case o.logits != nil && o.sparse:
			total = kernel.SparseCrossEntropyLogits(o.lse[a:b], o.logits.Value.Data()[a*n:b*n], t[ta:tb], r, n)
		case o.logits != nil:
			total = kernel.CrossEntropyLogits(o.lse[a:b], o.logits.Value.Data()[a*n:b*n], t[ta:tb], r, n, o.smoothing)
		case o.sparse:
			total = kernel.SparseCrossEntropyProbs(o.pred.Value.Data()[a*n:b*n], t[ta:tb], r, n, Epsilon)
		default:
			total = kernel.CrossEntropyProbs(o.pred.Value.Data()[a*n:b*n], t[ta:tb], r, n, o.smoothing, Epsilon)
		}
		dst[s] = total / float64(r)
	}
}
