package autograd

import "github.com/goras-ml/goras/internal/kernel"

// softmax is y = exp(x) / Σ exp(x) over the last axis.
type softmax struct {
	x, y *Var
	m, n int
	// fused is set when a cross-entropy loss consumes y and differentiates
	// through the logits x directly: the loss then writes x's gradient and
	// this op's backward pass is skipped.
	fused bool
}

// Softmax normalizes the last axis of x into probabilities.
func (p *Plan) Softmax(x *Var) *Var {
	m, n := rows(mustShape("Softmax", x, 1))
	op := &softmax{x: x, m: m, n: n}
	// A cross-entropy added later may read the logits x in place of y
	// (softmaxLogits), after the builder has let x go: x's buffer must
	// not be handed to another op of an inference plan.
	p.pin(x)
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *softmax) Forward(bool) { kernel.SoftmaxRows(o.y.Value.Data(), o.x.Value.Data(), o.m, o.n) }

func (o *softmax) Backward() {
	if o.fused || o.x.Grad == nil {
		return
	}
	kernel.SoftmaxRowsBackward(o.x.Grad.Data(), o.y.Grad.Data(), o.y.Value.Data(), o.m, o.n)
}

func (o *softmax) gradSlots(dst []gradSlot) []gradSlot {
	if o.fused {
		return dst // the cross-entropy writes x's gradient
	}
	return slot(dst, o.x.Grad)
}

// softmaxLogits reports the logits behind v when v is a softmax output, so
// that a cross-entropy loss can work on them directly (log-sum-exp instead of
// the log of a rounded probability), as Keras does. It sees through the
// pass-through ops a model puts between an output and its loss, a loss
// weight's ScaleGradient and sample weights' ScaleRows, and returns the
// gradient scaling they stand for (their product, and the row weights or
// nil), which the loss then applies to the logits' gradient itself.
func softmaxLogits(v *Var) (sm *softmax, scale float32, rowW []float32, ok bool) {
	scale = 1
	for {
		switch s := v.src.(type) {
		case *softmax:
			return s, scale, rowW, true
		case *scaleGradient:
			scale *= s.w
			v = s.x
		case *scaleRows:
			if rowW != nil {
				return nil, 1, nil, false // two sets of row weights: not fused
			}
			rowW = s.w
			v = s.x
		default:
			return nil, 1, nil, false
		}
	}
}
