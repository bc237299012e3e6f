package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// Reshape returns x seen with a new shape (the batch axis included). The
// value and gradient are views of x's, so the op costs nothing in either
// direction and is not even added to the plan.
func (p *Plan) Reshape(x *Var, shape ...int) *Var {
	v, err := x.Value.Reshape(shape...)
	if err != nil {
		panic(fmt.Sprintf("autograd: Reshape: %v", err))
	}
	out := &Var{Value: v, input: x.input}
	if x.Grad != nil {
		out.Grad, _ = x.Grad.Reshape(shape...)
	}
	return out
}

// Flatten keeps the batch axis and folds all others into one.
func (p *Plan) Flatten(x *Var) *Var {
	s := x.Shape()
	return p.Reshape(x, s[0], tensor.Numel(s[1:]))
}
