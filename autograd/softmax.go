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

// softmaxLogits reports the logits behind v when v is a softmax output, so
// that a cross-entropy loss can work on them directly (log-sum-exp instead of
// the log of a rounded probability), as Keras does.
func softmaxLogits(v *Var) (*softmax, bool) {
	s, ok := v.src.(*softmax)
	return s, ok
}
