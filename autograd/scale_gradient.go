package autograd

// scaleGradient passes its input through unchanged and scales the gradient
// coming back: y = x, dx += w·dy. A model puts it between an output and
// that output's loss when the loss has a weight (Keras's loss_weights), so
// that any loss, a user's own included, is weighted without knowing it.
type scaleGradient struct {
	x, y *Var
	w    float32
}

// ScaleGradient returns a copy of x whose gradient reaches x multiplied by w.
func (p *Plan) ScaleGradient(x *Var, w float32) *Var {
	op := &scaleGradient{x: x, w: w}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *scaleGradient) Forward(bool) { copy(o.y.Value.Data(), o.x.Value.Data()) }

func (o *scaleGradient) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	for i, g := range dy {
		dx[i] += o.w * g
	}
}
