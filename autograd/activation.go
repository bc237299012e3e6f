package autograd

import "github.com/goras-ml/goras/internal/kernel"

// unary is an element-wise activation whose derivative can be written in
// terms of its output y, which holds for ReLU, sigmoid and tanh.
type unary struct {
	x, y *Var
	f    func(dst, x []float32)
	df   func(dx, dy, y []float32) // dx += dy · f'(x), from y = f(x)
	setX bool                      // the only writer of x's gradient: set it (overwrite.go)
}

func (p *Plan) unary(x *Var, f func(dst, x []float32), df func(dx, dy, y []float32)) *Var {
	op := &unary{x: x, f: f, df: df}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *unary) Forward(bool) { o.f(o.y.Value.Data(), o.x.Value.Data()) }

func (o *unary) Backward() {
	switch {
	case o.x.Grad == nil:
	case o.setX: // df is element-wise, so it can set a chunk at a time
		setElementwise(o.df, o.x.Grad.Data(), o.y.Grad.Data(), o.y.Value.Data())
	default:
		o.df(o.x.Grad.Data(), o.y.Grad.Data(), o.y.Value.Data())
	}
}

func (o *unary) gradSlots(dst []gradSlot) []gradSlot { return setSlot(dst, o.x.Grad, &o.setX) }

// ReLU is max(x, 0); its gradient is 1 where the output is positive.
func (p *Plan) ReLU(x *Var) *Var { return p.unary(x, kernel.ReLU, kernel.ReLUBackward) }

// Sigmoid is 1/(1+e^-x); its gradient is y(1-y).
func (p *Plan) Sigmoid(x *Var) *Var { return p.unary(x, kernel.Sigmoid, kernel.SigmoidBackward) }

// Tanh is the hyperbolic tangent; its gradient is 1-y².
func (p *Plan) Tanh(x *Var) *Var { return p.unary(x, kernel.Tanh, kernel.TanhBackward) }
