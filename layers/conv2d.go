package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
)

// Conv2DLayer is Keras's Conv2D on channels-last images: y =
// activation(conv(x, kernel) + bias), x (H, W, C) per sample, kernel
// (KH, KW, C, filters), bias (filters), output (OH, OW, filters).
type Conv2DLayer struct {
	base
	filters         int
	window, strides [2]int
	padding         string
	act             activations.Activation
	opts            *options
	pads            pads
	kernel, bias    *autograd.Param
}

// Conv2D makes a 2-D convolution with the given number of filters and a
// square kernelSize×kernelSize window, as keras.layers.Conv2D(filters,
// kernel_size); for a rectangular window add WithKernelSize(rows, cols).
//
//	layers.Conv2D(32, 3, layers.WithActivation("relu"))
//	layers.Conv2D(6, 5, layers.WithPadding("same"), layers.WithStrides(2))
//
// It takes WithKernelSize, WithStrides (default 1), WithPadding (default
// "valid"), WithActivation (default linear), WithUseBias (default true),
// WithKernelInitializer (default glorot_uniform, with fan_in = KH·KW·C and
// fan_out = KH·KW·filters), WithBiasInitializer (default zeros),
// WithKernelRegularizer, WithBiasRegularizer, WithKernelConstraint,
// WithBiasConstraint (default none; constraints.MaxNorm(2, 0, 1, 2) bounds
// each filter) and WithName. Only channels last is supported, with dilation
// 1 and one group.
func Conv2D(filters, kernelSize int, opts ...Option) *Conv2DLayer {
	o, err := apply("Conv2D", opts, convOptionKeys...)
	l := &Conv2DLayer{filters: filters, opts: o}
	act, aerr := activations.Get(o.activation)
	l.act = act
	if err == nil {
		l.window, l.strides, l.padding, err = windowOptions("Conv2D", o, kernelSize, "WithKernelSize", [2]int{}, 1)
	}
	switch {
	case err != nil:
	case filters <= 0:
		err = fmt.Errorf("Conv2D needs a positive number of filters, got %d", filters)
	case aerr != nil:
		err = aerr
	}
	l.base = base{name: o.name, err: err}
	return l
}

func (l *Conv2DLayer) ClassName() string { return "Conv2D" }

// Filters is the number of output channels.
func (l *Conv2DLayer) Filters() int { return l.filters }

// KernelSize is the window, (rows, columns).
func (l *Conv2DLayer) KernelSize() [2]int { return l.window }

// ParamShapes is the kernel (KH, KW, C, filters) and the bias (filters),
// and the output shape, for an input (H, W, C); see ParamShaper.
func (l *Conv2DLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	if err := checkImage(l, input, l.window, l.padding, "kernel"); err != nil {
		return nil, nil, err
	}
	oh, ow, _ := window2D(input[0], input[1], l.window, l.strides, l.padding)
	ps := l.opts.paramShapes(l.name, l.filters, ParamShape{l.name + "/kernel", []int{l.window[0], l.window[1], input[2], l.filters}})
	return ps, []int{oh, ow, l.filters}, nil
}

func (l *Conv2DLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	ps, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	_, _, l.pads = window2D(input[0], input[1], l.window, l.strides, l.padding)
	if l.kernel, l.bias, err = l.opts.kernelAndBias(l, ps, rng); err != nil {
		return nil, err
	}
	return out, nil
}

func (l *Conv2DLayer) Params() []*autograd.Param {
	return withBias(l.bias, l.kernel)
}

// Call builds one fused op for the convolution, its bias and a ReLU (the
// course's Conv2D(..., activation="relu")), which saves two passes over the
// output and their gradients; other activations follow as their own op.
func (l *Conv2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	relu := l.act.Name() == "relu"
	y := p.Conv2DBiasReLU(x, l.kernel, l.bias, relu, l.strides[0], l.strides[1], l.pads.top, l.pads.bottom, l.pads.left, l.pads.right)
	if relu {
		return y
	}
	return l.act.Apply(p, y)
}

// Activation is the name of the activation applied to the output,
// "linear" for none.
func (l *Conv2DLayer) Activation() string { return l.act.Name() }

// CallBatchNorm adds to an inference plan the layer followed by bn, a
// BatchNormalization at inference, and, with relu, a ReLU, as one
// convolution with bn folded into its kernel and bias (autograd's
// Conv2DBatchNorm): what a model's inference plan runs for Conv2D →
// BatchNormalization → ReLU. The layer's own activation must be linear
// (bn would follow it, which no fold expresses); it panics otherwise.
func (l *Conv2DLayer) CallBatchNorm(p *autograd.Plan, x *autograd.Var, bn autograd.BatchNormInference, relu bool) *autograd.Var {
	if a := l.act.Name(); a != "linear" {
		panic(fmt.Sprintf("layers: Conv2D %q with activation %q cannot fold the batch normalization after it", l.name, a))
	}
	return p.Conv2DBatchNorm(x, l.kernel, l.bias, bn, relu, l.strides[0], l.strides[1], l.pads.top, l.pads.bottom, l.pads.left, l.pads.right)
}

func (l *Conv2DLayer) Config() map[string]any {
	own := map[string]any{"name": l.name, "filters": l.filters, "groups": 1}
	// goras's Conv2D has no dilation: Keras's dilation_rate is (1, 1).
	return l.opts.kernelBiasConfig(l.act, "kernel", convWindowConfig(l.window, l.strides, [2]int{1, 1}, l.padding, own))
}

func init() { Register("Conv2D", conv2DFromConfig) }

// conv2DFromConfig rebuilds a Conv2D from its Keras config. kernel_size and
// strides may be one integer or a pair, as in Keras.
func conv2DFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Conv2D", config)
	r.Require("filters", "kernel_size")
	filters := r.Int("filters", 0)
	kernel := r.Ints("kernel_size", []int{0, 0}, 2)
	opts := []Option{
		WithName(r.Name()),
		WithKernelSize(kernel...),
		WithStrides(r.Ints("strides", []int{1, 1}, 2)...),
		WithPadding(r.String("padding", paddingValid)),
		r.kernelBiasOptions("kernel"),
	}
	r.Accept("data_format", "channels_last")
	r.Accept("dilation_rate", []any{1, 1})
	r.Accept("groups", 1)
	r.Null("activity_regularizer", "lora_rank", "lora_alpha")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Conv2D(filters, 0, opts...), nil
}
