package autograd

import "github.com/goras-ml/goras/tensor"

// Var is a value computed by the plan and, when gradients flow through it,
// the gradient of the loss with respect to it (same shape as Value).
type Var struct {
	Value *tensor.Tensor
	Grad  *tensor.Tensor // nil when no gradient is needed, e.g. the model input

	src Op // the op that produced Value, nil for inputs and parameters
	// input says Value is a plan input's (Plan.Input, or a Reshape of
	// one): filled before Forward, so Plan.Prepare may read it.
	input bool
}

// Shape is the shape of the value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// Param is a weight owned by a layer. It outlives plans: every plan built for
// the model (one per batch size) reads and updates the same tensors.
type Param struct {
	Name string // e.g. "dense_1/kernel"
	Var
	Trainable bool

	// Regularizer, when set, adds its penalty to the training loss and its
	// gradient to Grad (see regularizers). Only the methods are needed here.
	Regularizer Penalty
	// Constraint, when set, is applied to Value after each optimizer step
	// (Keras's kernel_constraint and bias_constraint; see constraints).
	Constraint Projection
}

// Projection is a weight constraint as seen from the training step: it
// projects the weight's values, of the given shape, in place.
type Projection interface {
	Apply(w []float32, shape []int)
}

// Penalty is a weight regularizer as seen from the plan.
type Penalty interface {
	Penalty(w []float32) float64
	AddGradient(grad, w []float32)
}

// NewParam allocates a parameter of the given shape. Trainable parameters get
// a gradient buffer; non-trainable ones (moving statistics) do not.
func NewParam(name string, trainable bool, shape ...int) *Param {
	p := &Param{Name: name, Trainable: trainable}
	p.Value = tensor.New(shape...)
	if trainable {
		p.Grad = tensor.New(shape...)
	}
	return p
}
