package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
)

// DepthwiseConv2DLayer is Keras's DepthwiseConv2D on channels-last images:
// each input channel is convolved with its own depth_multiplier filters,
// x (H, W, C) → (OH, OW, C·M), kernel (KH, KW, C, M) named
// "depthwise_kernel", bias (C·M); output channel c·M+m is filter m of
// channel c. MobileNet's separable convolutions are made of it, and ONNX's
// Conv with one group per channel imports as it.
type DepthwiseConv2DLayer struct {
	base
	depthwiseWindow
	act          activations.Activation
	opts         *options
	kernel, bias *autograd.Param
}

// DepthwiseConv2D makes a depthwise convolution with a kernelSize×
// kernelSize window, as keras.layers.DepthwiseConv2D(kernel_size). It takes
// WithKernelSize (rectangular windows), WithStrides (default 1),
// WithPadding (default "valid"), WithDilationRate (default 1),
// WithDepthMultiplier (default 1), WithActivation (default linear),
// WithUseBias (default true), WithKernelInitializer (Keras's
// depthwise_initializer, default glorot_uniform), WithBiasInitializer
// (default zeros), WithKernelRegularizer, WithBiasRegularizer,
// WithKernelConstraint, WithBiasConstraint and WithName.
func DepthwiseConv2D(kernelSize int, opts ...ConvOption) *DepthwiseConv2DLayer {
	o, c, err := convOptions("DepthwiseConv2D", opts, []string{"dilation_rate", "depth_multiplier"}, convOptionKeys...)
	l := &DepthwiseConv2DLayer{opts: o, depthwiseWindow: depthwiseWindow{multiplier: max(c.multiplier, 1)}}
	act, aerr := activations.Get(o.activation)
	l.act = act
	if err == nil {
		err = l.resolve("DepthwiseConv2D", o, c, kernelSize)
	}
	switch {
	case err != nil:
	case c.multiplier < 0:
		err = fmt.Errorf("DepthwiseConv2D needs a positive depth multiplier, got %d", c.multiplier)
	case aerr != nil:
		err = aerr
	}
	l.base = base{name: o.name, err: err}
	return l
}

func (l *DepthwiseConv2DLayer) ClassName() string { return "DepthwiseConv2D" }

// ParamShapes is the depthwise kernel (KH, KW, C, M) and the bias (C·M),
// and the output shape, for an input (H, W, C); see ParamShaper.
func (l *DepthwiseConv2DLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	kernel, out, err := l.depthwiseShapes(l, input, "dilated kernel")
	if err != nil {
		return nil, nil, err
	}
	return l.opts.paramShapes(l.name, out[2], kernel), out, nil
}

// maxChannels bounds the channels a layer may make (2^24): a file declaring
// more is refused before any weight is allocated.
const maxChannels = 1 << 24

func (l *DepthwiseConv2DLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	ps, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	l.place(input)
	if l.kernel, l.bias, err = l.opts.kernelAndBias(l, ps, rng); err != nil {
		return nil, err
	}
	return out, nil
}

// Geometry is the layer's strides, dilations and padding, worked out by
// Build for its input.
func (l *DepthwiseConv2DLayer) Geometry() autograd.Conv2DGeometry { return l.geometry() }

func (l *DepthwiseConv2DLayer) Params() []*autograd.Param {
	return withBias(l.bias, l.kernel)
}

func (l *DepthwiseConv2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return l.act.Apply(p, p.DepthwiseConv2D(x, l.kernel, l.bias, l.Geometry()))
}

func (l *DepthwiseConv2DLayer) Config() map[string]any {
	return l.opts.kernelBiasConfig(l.act, "depthwise", l.config(map[string]any{"name": l.name}))
}

func init() { Register("DepthwiseConv2D", depthwiseConv2DFromConfig) }

func depthwiseConv2DFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("DepthwiseConv2D", config)
	r.Require("kernel_size")
	opts := []ConvOption{
		WithName(r.Name()),
		r.convWindowOptions(2),
		WithDepthMultiplier(r.Int("depth_multiplier", 1)),
		r.kernelBiasOptions("depthwise"),
	}
	r.Accept("data_format", "channels_last")
	r.Null("activity_regularizer")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return DepthwiseConv2D(0, opts...), nil
}
