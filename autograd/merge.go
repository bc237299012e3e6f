package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// The merge ops of Keras's merge layers: element-wise over several inputs of
// one shape (batch axis included). Add, Average, Subtract and Multiply are
// here, Maximum and Minimum in merge_extreme.go, Concatenate in
// merge_concat.go. Every backward adds into the gradients of its inputs
// (+=), so an input that reaches the op twice, Add(x, x), gets both parts.

// mergeShape panics unless there are at least n inputs (exactly n when
// exact) of one shape, and returns that shape. Layers check shapes first
// and return errors; reaching this panic is a programmer error.
func mergeShape(op string, xs []*Var, n int, exact bool) []int {
	if len(xs) < n || (exact && len(xs) != n) {
		want := fmt.Sprintf("at least %d", n)
		if exact {
			want = fmt.Sprintf("exactly %d", n)
		}
		panic(fmt.Sprintf("autograd: %s needs %s inputs, got %d", op, want, len(xs)))
	}
	s := xs[0].Shape()
	for i, x := range xs[1:] {
		if !tensor.SameShape(x.Shape(), s) {
			panic(fmt.Sprintf("autograd: %s of inputs of different shapes: input 0 is %v, input %d is %v", op, s, i+1, x.Shape()))
		}
	}
	return s
}

// anyGrad reports whether a gradient must flow back to any of xs.
func anyGrad(xs []*Var) bool {
	for _, x := range xs {
		if x.Grad != nil {
			return true
		}
	}
	return false
}

// sum is y = Σ xs (Add), or y = (Σ xs) / N when mean (Average).
type sum struct {
	xs   []*Var
	y    *Var
	mean bool
}

// Add returns the element-wise sum of two or more inputs of one shape.
func (p *Plan) Add(xs ...*Var) *Var { return p.sum("Add", xs, false) }

// Average returns the element-wise mean of two or more inputs of one shape:
// their sum divided by their number, as Keras computes it.
func (p *Plan) Average(xs ...*Var) *Var { return p.sum("Average", xs, true) }

func (p *Plan) sum(name string, xs []*Var, mean bool) *Var {
	s := mergeShape(name, xs, 2, false)
	op := &sum{xs: append([]*Var(nil), xs...), mean: mean}
	op.y = p.newVar(op, anyGrad(xs), s...)
	p.add(op)
	return op.y
}

// Forward adds the inputs in order (x0 + x1, then + x2, ...), so the
// rounding is fixed whatever the machine.
func (o *sum) Forward(bool) {
	y := o.y.Value.Data()
	kernel.Add(y, o.xs[0].Value.Data(), o.xs[1].Value.Data())
	for _, x := range o.xs[2:] {
		kernel.AddTo(y, x.Value.Data())
	}
	if o.mean {
		n := float32(len(o.xs))
		for i := range y {
			y[i] /= n // a division, as Keras's sum / N, not a product with 1/N
		}
	}
}

// Backward: dxᵢ += dy (Add), dxᵢ += dy / N (Average).
func (o *sum) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	for _, x := range o.xs {
		switch {
		case x.Grad == nil:
		case o.mean:
			kernel.Axpy(x.Grad.Data(), 1/float32(len(o.xs)), dy)
		default:
			kernel.AddTo(x.Grad.Data(), dy)
		}
	}
}

// subtract is y = a - b.
type subtract struct{ a, b, y *Var }

// Subtract returns a - b, element-wise, for two inputs of one shape.
func (p *Plan) Subtract(xs ...*Var) *Var {
	s := mergeShape("Subtract", xs, 2, true)
	op := &subtract{a: xs[0], b: xs[1]}
	op.y = p.newVar(op, anyGrad(xs), s...)
	p.add(op)
	return op.y
}

func (o *subtract) Forward(bool) {
	y, a, b := o.y.Value.Data(), o.a.Value.Data(), o.b.Value.Data()
	a, b = a[:len(y)], b[:len(y)]
	for i := range y {
		y[i] = a[i] - b[i]
	}
}

// Backward: da += dy, db -= dy (an Axpy by -1, exact in float32).
func (o *subtract) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	if o.a.Grad != nil {
		kernel.AddTo(o.a.Grad.Data(), dy)
	}
	if o.b.Grad != nil {
		kernel.Axpy(o.b.Grad.Data(), -1, dy)
	}
}

// product is y = Π xs, element-wise.
type product struct {
	xs   []*Var
	y    *Var
	rest []float32 // backward's scratch: dy times every input but one
}

// Multiply returns the element-wise product of two or more inputs of one
// shape.
func (p *Plan) Multiply(xs ...*Var) *Var {
	s := mergeShape("Multiply", xs, 2, false)
	op := &product{xs: append([]*Var(nil), xs...)}
	op.y = p.newVar(op, anyGrad(xs), s...)
	if op.y.Grad != nil {
		op.rest = make([]float32, op.y.Value.Len())
	}
	p.add(op)
	return op.y
}

// Forward multiplies in input order: ((x0 · x1) · x2) ...
func (o *product) Forward(bool) {
	y := o.y.Value.Data()
	kernel.Mul(y, o.xs[0].Value.Data(), o.xs[1].Value.Data())
	for _, x := range o.xs[2:] {
		kernel.Mul(y, y, x.Value.Data())
	}
}

// Backward: dxᵢ += dy · Π_{j≠i} xⱼ. The other factors are multiplied
// again rather than y divided by xᵢ, which would fail where xᵢ is zero; N is
// small (a handful of branches), so the N² products cost little.
func (o *product) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	for i, x := range o.xs {
		if x.Grad == nil {
			continue
		}
		copy(o.rest, dy)
		for j, other := range o.xs {
			if j != i {
				kernel.Mul(o.rest, o.rest, other.Value.Data())
			}
		}
		kernel.AddTo(x.Grad.Data(), o.rest)
	}
}
