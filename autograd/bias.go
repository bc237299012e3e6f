package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// biasAdd is y = x + b, with b (n) broadcast over every row of x (..., n).
type biasAdd struct {
	x, y *Var
	b    *Param
	m, n int
	setX bool // the only writer of x's gradient: set it (overwrite.go)
}

// BiasAdd adds the vector b to the last axis of x.
func (p *Plan) BiasAdd(x *Var, b *Param) *Var {
	xs := mustShape("BiasAdd", x, 1)
	m, n := rows(xs)
	if b.Value.Len() != n {
		panic(fmt.Sprintf("autograd: BiasAdd of %v with bias %v", xs, b.Value.Shape()))
	}
	op := &biasAdd{x: x, b: b, m: m, n: n}
	op.y = p.newVar(op, x.Grad != nil || b.Grad != nil, xs...)
	p.Use(b)
	p.add(op)
	return op.y
}

func (o *biasAdd) Forward(bool) {
	kernel.AddRowVectorTo(o.y.Value.Data(), o.x.Value.Data(), o.b.Value.Data(), o.m, o.n)
}

func (o *biasAdd) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	if o.b.Grad != nil {
		kernel.AddColumnSums(o.b.Grad.Data(), dy, o.m, o.n)
	}
	switch {
	case o.x.Grad == nil:
	case o.setX:
		setElementwise(addTo, o.x.Grad.Data(), dy, dy)
	default:
		kernel.AddTo(o.x.Grad.Data(), dy)
	}
}

// gradSlots: the bias's gradient, a column sum of few values, is added to
// a zeroed buffer; x's, as large as the output, is set when it can be.
func (o *biasAdd) gradSlots(dst []gradSlot) []gradSlot {
	if o.y.Grad == nil {
		return dst
	}
	return setSlot(slot(dst, o.b.Grad), o.x.Grad, &o.setX)
}

// addTo is kernel.AddTo(dx, dy) in setElementwise's form.
func addTo(dx, dy, _ []float32) { kernel.AddTo(dx, dy) }
