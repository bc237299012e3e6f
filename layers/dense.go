package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
)

// DenseLayer is Keras's Dense: y = activation(x·kernel + bias), applied to
// the last axis of its input. kernel is (in, units), bias (units).
type DenseLayer struct {
	base
	units  int
	act    activations.Activation
	opts   *options
	kernel *autograd.Param
	bias   *autograd.Param
}

// Dense makes a fully connected layer with units outputs. It takes
// WithActivation (default linear), WithUseBias (default true),
// WithKernelInitializer (default glorot_uniform), WithBiasInitializer
// (default zeros), WithKernelRegularizer, WithBiasRegularizer,
// WithKernelConstraint, WithBiasConstraint (default none) and WithName.
func Dense(units int, opts ...Option) *DenseLayer {
	o, err := apply("Dense", opts, kernelBiasOptionKeys...)
	act, aerr := activations.Get(o.activation)
	switch {
	case err != nil:
	case units <= 0:
		err = fmt.Errorf("Dense needs a positive number of units, got %d", units)
	case aerr != nil:
		err = aerr
	}
	return &DenseLayer{base: base{name: o.name, err: err}, units: units, act: act, opts: o}
}

func (l *DenseLayer) ClassName() string { return "Dense" }

// Units is the number of outputs.
func (l *DenseLayer) Units() int { return l.units }

// ParamShapes is the kernel (in, units) and the bias (units), and the
// output shape, for an input shape; see ParamShaper.
func (l *DenseLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	if len(input) == 0 {
		return nil, nil, buildError(l, "needs inputs with at least one axis, got a scalar per sample")
	}
	if len(input) > 1 {
		// Keras would apply Dense to the last axis; for an image that is
		// almost always a forgotten Flatten, so say so.
		return nil, nil, buildError(l, "got input of shape (None, %s) but expects a flat vector per sample; add layers.Flatten() before it", shapeList(input))
	}
	ps := l.opts.paramShapes(l.name, l.units, ParamShape{l.name + "/kernel", []int{input[0], l.units}})
	return ps, []int{l.units}, nil
}

func (l *DenseLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	ps, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	if l.kernel, l.bias, err = l.opts.kernelAndBias(l, ps, rng); err != nil {
		return nil, err
	}
	return out, nil
}

func (l *DenseLayer) Params() []*autograd.Param {
	return withBias(l.bias, l.kernel)
}

func (l *DenseLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	y := p.MatMul(x, l.kernel)
	if l.bias != nil {
		y = p.BiasAdd(y, l.bias)
	}
	return l.act.Apply(p, y)
}

func (l *DenseLayer) Config() map[string]any {
	return l.opts.kernelBiasConfig(l.act, "kernel", map[string]any{"name": l.name, "units": l.units})
}
