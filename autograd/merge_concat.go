package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// concat joins its inputs along one axis. Seen as matrices, input i is
// (outer, widths[i]) and y is (outer, row): outer is the product of the axes
// before the joined one, widths[i] input i's length on that axis times the
// product of the axes after it, and row the sum of the widths. Each row of y
// is then the rows of the inputs one after the other.
type concat struct {
	xs     []*Var
	y      *Var
	outer  int
	widths []int
	row    int
}

// Concatenate joins two or more inputs along axis, counted on the full
// shape with the batch axis as 0, and from the end when negative (Keras's
// default is -1, the last axis). The inputs must have the same rank and the
// same sizes on every other axis. Axis 0 is refused: the batch is not
// joined.
func (p *Plan) Concatenate(axis int, xs ...*Var) *Var {
	if len(xs) < 2 {
		panic(fmt.Sprintf("autograd: Concatenate needs at least 2 inputs, got %d", len(xs)))
	}
	s0 := xs[0].Shape()
	a := axis
	if a < 0 {
		a += len(s0)
	}
	if a <= 0 || a >= len(s0) {
		panic(fmt.Sprintf("autograd: Concatenate on axis %d of inputs of shape %v: the axis must be in [1, %d] or [-%d, -1] (axis 0 is the batch)",
			axis, s0, len(s0)-1, len(s0)-1))
	}
	ys := append([]int(nil), s0...)
	ys[a] = 0
	op := &concat{xs: append([]*Var(nil), xs...), outer: tensor.Numel(s0[:a]), widths: make([]int, len(xs))}
	inner := tensor.Numel(s0[a+1:])
	for i, x := range xs {
		s := x.Shape()
		if !sameExcept(s, s0, a) {
			panic(fmt.Sprintf("autograd: Concatenate on axis %d of inputs of shapes %v (input 0) and %v (input %d): they must have the same rank and sizes on every other axis", axis, s0, s, i))
		}
		ys[a] += s[a]
		op.widths[i] = s[a] * inner
		op.row += op.widths[i]
	}
	op.y = p.newVar(op, anyGrad(xs), ys...)
	p.add(op)
	return op.y
}

// sameExcept reports whether a and b have the same rank and sizes, except
// perhaps on axis.
func sameExcept(a, b []int, axis int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if i != axis && a[i] != b[i] {
			return false
		}
	}
	return true
}

func (o *concat) Forward(bool) {
	y := o.y.Value.Data()
	off := 0
	for i, x := range o.xs {
		w, xv := o.widths[i], x.Value.Data()
		for r := 0; r < o.outer; r++ {
			copy(y[r*o.row+off:r*o.row+off+w], xv[r*w:r*w+w])
		}
		off += w
	}
}

// Backward: each input's gradient takes back its runs of dy, added.
func (o *concat) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	off := 0
	for i, x := range o.xs {
		w := o.widths[i]
		if x.Grad != nil {
			dx := x.Grad.Data()
			for r := 0; r < o.outer; r++ {
				kernel.AddTo(dx[r*w:r*w+w], dy[r*o.row+off:r*o.row+off+w])
			}
		}
		off += w
	}
}
