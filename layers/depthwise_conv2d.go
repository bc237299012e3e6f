package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/initializers"
)

// DepthwiseConv2DLayer is Keras's DepthwiseConv2D on channels-last images:
// each input channel is convolved with its own depth_multiplier filters,
// x (H, W, C) → (OH, OW, C·M), kernel (KH, KW, C, M) named
// "depthwise_kernel", bias (C·M); output channel c·M+m is filter m of
// channel c. MobileNet's separable convolutions are made of it, and ONNX's
// Conv with one group per channel imports as it.
type DepthwiseConv2DLayer struct {
	base
	window, strides, dilation [2]int
	padding                   string
	multiplier                int
	act                       activations.Activation
	opts                      *options
	pads                      pads
	kernel, bias              *autograd.Param
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
	o, c, err := convOptions("DepthwiseConv2D", opts, []string{"dilation_rate", "depth_multiplier"}, "kernel_size", "strides", "padding",
		"activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint")
	l := &DepthwiseConv2DLayer{opts: o, multiplier: max(c.multiplier, 1)}
	act, aerr := activations.Get(o.activation)
	l.act = act
	if err == nil {
		l.window, l.strides, l.padding, err = windowOptions("DepthwiseConv2D", o, kernelSize, "WithKernelSize", [2]int{}, 1)
	}
	if err == nil {
		l.dilation, err = c.dilationPair("DepthwiseConv2D")
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

// span is the window with its dilation, as the padding sees it.
func (l *DepthwiseConv2DLayer) span() [2]int {
	return [2]int{dilated(l.window[0], l.dilation[0]), dilated(l.window[1], l.dilation[1])}
}

// ParamShapes is the depthwise kernel (KH, KW, C, M) and the bias (C·M),
// and the output shape, for an input (H, W, C); see ParamShaper.
func (l *DepthwiseConv2DLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	if err := checkImage(l, input, l.span(), l.padding, "dilated kernel"); err != nil {
		return nil, nil, err
	}
	if input[2] > maxChannels/l.multiplier {
		return nil, nil, buildError(l, "%d channels × depth multiplier %d is too many channels", input[2], l.multiplier)
	}
	oh, ow, _ := window2D(input[0], input[1], l.span(), l.strides, l.padding)
	cm := input[2] * l.multiplier
	ps := []ParamShape{{l.name + "/depthwise_kernel", []int{l.window[0], l.window[1], input[2], l.multiplier}}}
	if l.opts.useBias {
		ps = append(ps, ParamShape{l.name + "/bias", []int{cm}})
	}
	return ps, []int{oh, ow, cm}, nil
}

// maxChannels bounds the channels a layer may make (2^24): a file declaring
// more is refused before any weight is allocated.
const maxChannels = 1 << 24

func (l *DepthwiseConv2DLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	_, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	_, _, l.pads = window2D(input[0], input[1], l.span(), l.strides, l.padding)
	l.kernel = autograd.NewParam(l.name+"/depthwise_kernel", true, l.window[0], l.window[1], input[2], l.multiplier)
	l.kernel.Regularizer = penalty(l.opts.kernelReg)
	l.opts.kernelInit.Initialize(l.kernel.Value, rng)
	l.bias = nil
	if l.opts.useBias {
		l.bias = autograd.NewParam(l.name+"/bias", true, out[2])
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

// Geometry is the layer's strides, dilations and padding, worked out by
// Build for its input.
func (l *DepthwiseConv2DLayer) Geometry() autograd.Conv2DGeometry {
	return autograd.Conv2DGeometry{StrideH: l.strides[0], StrideW: l.strides[1], DilationH: l.dilation[0], DilationW: l.dilation[1],
		PadTop: l.pads.top, PadBottom: l.pads.bottom, PadLeft: l.pads.left, PadRight: l.pads.right}
}

func (l *DepthwiseConv2DLayer) Params() []*autograd.Param {
	if l.bias == nil {
		return []*autograd.Param{l.kernel}
	}
	return []*autograd.Param{l.kernel, l.bias}
}

func (l *DepthwiseConv2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return l.act.Apply(p, p.DepthwiseConv2D(x, l.kernel, l.bias, l.Geometry()))
}

func (l *DepthwiseConv2DLayer) Config() map[string]any {
	return map[string]any{
		"name":                  l.name,
		"kernel_size":           pairConfig(l.window),
		"strides":               pairConfig(l.strides),
		"padding":               l.padding,
		"data_format":           "channels_last",
		"dilation_rate":         pairConfig(l.dilation),
		"depth_multiplier":      l.multiplier,
		"activation":            l.act.Name(),
		"use_bias":              l.opts.useBias,
		"depthwise_initializer": initializerConfig(l.opts.kernelInit),
		"bias_initializer":      initializerConfig(l.opts.biasInit),
		"depthwise_regularizer": regularizerConfig(l.opts.kernelReg),
		"bias_regularizer":      regularizerConfig(l.opts.biasReg),
		"depthwise_constraint":  constraintConfig(l.opts.kernelCons),
		"bias_constraint":       constraintConfig(l.opts.biasCons),
	}
}

func init() { Register("DepthwiseConv2D", depthwiseConv2DFromConfig) }

func depthwiseConv2DFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("DepthwiseConv2D", config)
	r.Require("kernel_size")
	opts := []ConvOption{
		WithName(r.Name()),
		WithKernelSize(r.Ints("kernel_size", []int{0, 0}, 2)...),
		WithStrides(r.Ints("strides", []int{1, 1}, 2)...),
		WithPadding(r.String("padding", paddingValid)),
		WithDilationRate(r.Ints("dilation_rate", []int{1, 1}, 2)...),
		WithDepthMultiplier(r.Int("depth_multiplier", 1)),
		WithActivation(r.String("activation", "linear")),
		WithUseBias(r.Bool("use_bias", true)),
		WithKernelInitializer(r.Initializer("depthwise_initializer", initializers.GlorotUniform())),
		WithBiasInitializer(r.Initializer("bias_initializer", initializers.Zeros())),
		WithKernelRegularizer(r.Regularizer("depthwise_regularizer")),
		WithBiasRegularizer(r.Regularizer("bias_regularizer")),
		WithKernelConstraint(r.Constraint("depthwise_constraint")),
		WithBiasConstraint(r.Constraint("bias_constraint")),
	}
	r.Accept("data_format", "channels_last")
	r.Null("activity_regularizer")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return DepthwiseConv2D(0, opts...), nil
}
