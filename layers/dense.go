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
	o, err := apply("Dense", opts, "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
		"kernel_constraint", "bias_constraint")
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
	ps := []ParamShape{{l.name + "/kernel", []int{input[0], l.units}}}
	if l.opts.useBias {
		ps = append(ps, ParamShape{l.name + "/bias", []int{l.units}})
	}
	return ps, []int{l.units}, nil
}

func (l *DenseLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	_, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	in := input[0]
	l.kernel = autograd.NewParam(l.name+"/kernel", true, in, l.units)
	l.kernel.Regularizer = penalty(l.opts.kernelReg)
	l.opts.kernelInit.Initialize(l.kernel.Value, rng)
	l.bias = nil
	if l.opts.useBias {
		l.bias = autograd.NewParam(l.name+"/bias", true, l.units)
		l.bias.Regularizer = penalty(l.opts.biasReg)
		l.opts.biasInit.Initialize(l.bias.Value, rng)
	}
	if err := constrain(l, l.kernel, l.opts.kernelCons); err != nil {
		return nil, err
	}
	if err := constrain(l, l.bias, l.opts.biasCons); err != nil {
		return nil, err
	}
	return out, nil
}

func (l *DenseLayer) Params() []*autograd.Param {
	if l.bias == nil {
		return []*autograd.Param{l.kernel}
	}
	return []*autograd.Param{l.kernel, l.bias}
}

func (l *DenseLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	y := p.MatMul(x, l.kernel)
	if l.bias != nil {
		y = p.BiasAdd(y, l.bias)
	}
	return l.act.Apply(p, y)
}

func (l *DenseLayer) Config() map[string]any {
	return map[string]any{
		"name":               l.name,
		"units":              l.units,
		"activation":         l.act.Name(),
		"use_bias":           l.opts.useBias,
		"kernel_initializer": initializerConfig(l.opts.kernelInit),
		"bias_initializer":   initializerConfig(l.opts.biasInit),
		"kernel_regularizer": regularizerConfig(l.opts.kernelReg),
		"bias_regularizer":   regularizerConfig(l.opts.biasReg),
		"kernel_constraint":  constraintConfig(l.opts.kernelCons),
		"bias_constraint":    constraintConfig(l.opts.biasCons),
	}
}
