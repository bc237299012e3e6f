package autograd

import (
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

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

	// products is the precision of the products that read the weight
	// (Param.SetBF16Products); the zero value follows the package's.
	products products
}

// products is a weight's own precision for the matrix products and
// convolutions that read it, or none (productsGlobal).
type products uint8

const (
	productsGlobal  products = iota // as SetBF16Products says when a plan is built
	productsFloat32                 // float32, whatever SetBF16Products says
	productsBF16                    // bfloat16 operands, float32 sums, whatever SetBF16Products says, where the CPU has them fast
)

// SetBF16Products is SetBF16Products for the products that read p alone
// (the MatMul and Conv2D ops whose weight it is): those of plans built
// from now on multiply operands rounded to bfloat16, accumulating in
// float32, when on is set and the CPU has fast bfloat16 products, and in
// float32 otherwise, whatever the package's setting was or will be. It
// reports whether they will. A model whose weights all carry their own
// setting trains in its precision while other models of the process train
// in theirs (mixedprecision.SetPolicy). Plans already built keep their
// precision. It must not run while a plan reading p is being built. The
// setting is kept as asked (OwnBF16Products), so that a model saved where
// bfloat16 products are not fast keeps its policy for a CPU that has them.
func (p *Param) SetBF16Products(on bool) bool {
	p.products = productsFloat32
	if on {
		p.products = productsBF16
	}
	return on && kernel.BF16Available()
}

// OwnBF16Products reports whether p has a precision of its own
// (SetBF16Products was called on it), and which was asked: bfloat16
// products (on; BF16Products says whether this CPU gives them) or float32
// ones.
func (p *Param) OwnBF16Products() (set, on bool) {
	return p.products != productsGlobal, p.products == productsBF16
}

// BF16Products reports whether the products that read p in a plan built
// now multiply bfloat16 operands: as p.SetBF16Products said, or, for a
// weight that has no setting of its own, as the package's SetBF16Products.
func (p *Param) BF16Products() bool {
	switch p.products {
	case productsFloat32:
		return false
	case productsBF16:
		return kernel.BF16Available()
	}
	return kernel.BF16Products()
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
