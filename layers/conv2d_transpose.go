package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
)

// Conv2DTransposeLayer is Keras's Conv2DTranspose on channels-last images
// (a "deconvolution", the gradient of Conv2D with respect to its input):
// each input pixel adds kernel-sized patches to the output, x (H, W, C) →
// (OH, OW, filters), kernel (KH, KW, filters, C) in Keras's order, bias
// (filters). Along each axis, with span k' = dilation·(k-1) + 1 and stride
// s, the output has
//
//   - padding "valid": in·s + max(k' - s, 0) cells, or (in-1)·s + k' + p
//     with WithOutputPadding(p);
//   - padding "same": in·s cells,
//
// placed as Keras 3 places them (the JAX backend's padding, which its other
// backends follow).
type Conv2DTransposeLayer struct {
	base
	filters                   int
	window, strides, dilation [2]int
	padding                   string
	outPad                    []int // nil: Keras's None
	act                       activations.Activation
	opts                      *options
	geo                       autograd.Conv2DGeometry
	kernel, bias              *autograd.Param
}

// Conv2DTranspose makes a transposed convolution with the given number of
// filters and a kernelSize×kernelSize window, as
// keras.layers.Conv2DTranspose(filters, kernel_size). It takes
// WithKernelSize, WithStrides (default 1), WithPadding (default "valid"),
// WithOutputPadding (default none; only with "valid"), WithDilationRate
// (default 1), WithActivation (default linear), WithUseBias (default true),
// WithKernelInitializer (default glorot_uniform), WithBiasInitializer
// (default zeros), WithKernelRegularizer, WithBiasRegularizer,
// WithKernelConstraint, WithBiasConstraint and WithName.
func Conv2DTranspose(filters, kernelSize int, opts ...ConvOption) *Conv2DTransposeLayer {
	o, c, err := convOptions("Conv2DTranspose", opts, []string{"dilation_rate", "output_padding"}, convOptionKeys...)
	l := &Conv2DTransposeLayer{filters: filters, opts: o}
	act, aerr := activations.Get(o.activation)
	l.act = act
	if err == nil {
		l.window, l.strides, l.padding, err = windowOptions("Conv2DTranspose", o, kernelSize, "WithKernelSize", [2]int{}, 1)
	}
	if err == nil {
		l.dilation, err = c.dilationPair("Conv2DTranspose")
	}
	if err == nil && c.outputPadding != nil {
		err = l.setOutputPadding(c.outputPadding)
	}
	switch {
	case err != nil:
	case filters <= 0 || filters > maxChannels:
		err = fmt.Errorf("Conv2DTranspose needs a number of filters in [1, %d], got %d", maxChannels, filters)
	case aerr != nil:
		err = aerr
	}
	l.base = base{name: o.name, err: err}
	return l
}

// setOutputPadding checks WithOutputPadding: with padding "valid" only,
// each value in [0, max(stride, dilation)).
func (l *Conv2DTransposeLayer) setOutputPadding(v []int) error {
	p, err := pairOf("WithOutputPadding", v)
	if err != nil {
		return fmt.Errorf("Conv2DTranspose: %v", err)
	}
	if l.padding != paddingValid {
		return fmt.Errorf("Conv2DTranspose: output padding needs padding \"valid\", got %q; for other crops add a Cropping2D after it", l.padding)
	}
	for a := range 2 {
		if p[a] < 0 || p[a] >= max(l.strides[a], l.dilation[a]) {
			return fmt.Errorf("Conv2DTranspose: output padding %v must be ≥ 0 and less than the stride %v (or the dilation)", v, l.strides)
		}
	}
	l.outPad = p[:]
	return nil
}

func (l *Conv2DTransposeLayer) ClassName() string { return "Conv2DTranspose" }

// axis works out, along one axis of length in, the output length and the
// rows cropped from the top of the full output (before) and its bottom
// (after; negative for rows of bias only).
func (l *Conv2DTransposeLayer) axis(a, in int) (out, before, after int) {
	k, s := dilated(l.window[a], l.dilation[a]), l.strides[a]
	full := (in-1)*s + k
	switch {
	case l.padding == paddingSame:
		out = in * s
		// JAX pads the stride-dilated input by padLen = s + k - 2 cells,
		// left = min(⌈padLen/2⌉, k-1) of them before it; a full output
		// would have k-1 before.
		padLen := s + k - 2
		before = k - 1 - min((padLen+1)/2, k-1)
	case l.outPad != nil:
		out = full + l.outPad[a]
	default:
		out = in*s + max(k-s, 0)
	}
	return out, before, full - before - out
}

// ParamShapes is the kernel (KH, KW, filters, C) and the bias (filters),
// and the output shape, for an input (H, W, C); see ParamShaper.
func (l *Conv2DTransposeLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	if len(input) != 3 {
		return nil, nil, buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s)", shapeList(input))
	}
	oh, _, _ := l.axis(0, input[0])
	ow, _, _ := l.axis(1, input[1])
	ps := l.opts.paramShapes(l.name, l.filters, ParamShape{l.name + "/kernel", []int{l.window[0], l.window[1], l.filters, input[2]}})
	return ps, []int{oh, ow, l.filters}, nil
}

func (l *Conv2DTransposeLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	ps, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	_, top, bottom := l.axis(0, input[0])
	_, left, right := l.axis(1, input[1])
	l.geo = autograd.Conv2DGeometry{StrideH: l.strides[0], StrideW: l.strides[1], DilationH: l.dilation[0], DilationW: l.dilation[1],
		PadTop: top, PadBottom: bottom, PadLeft: left, PadRight: right}
	if l.kernel, l.bias, err = l.opts.kernelAndBias(l, ps, rng); err != nil {
		return nil, err
	}
	return out, nil
}

// Geometry is where the layer places its output, worked out by Build:
// strides, dilations and the rows and columns cropped from the full
// output (PadBottom and PadRight negative for extra rows of bias).
func (l *Conv2DTransposeLayer) Geometry() autograd.Conv2DGeometry { return l.geo }

func (l *Conv2DTransposeLayer) Params() []*autograd.Param {
	return withBias(l.bias, l.kernel)
}

func (l *Conv2DTransposeLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return l.act.Apply(p, p.Conv2DTranspose(x, l.kernel, l.bias, l.geo))
}

func (l *Conv2DTransposeLayer) Config() map[string]any {
	var outPad any
	if l.outPad != nil {
		outPad = intsToAny(l.outPad)
	}
	own := map[string]any{"name": l.name, "filters": l.filters, "output_padding": outPad}
	return l.opts.kernelBiasConfig(l.act, "kernel", convWindowConfig(l.window, l.strides, l.dilation, l.padding, own))
}

func init() { Register("Conv2DTranspose", conv2DTransposeFromConfig) }

func conv2DTransposeFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Conv2DTranspose", config)
	r.Require("filters", "kernel_size")
	filters := r.Int("filters", 0)
	opts := []ConvOption{
		WithName(r.Name()),
		r.convWindowOptions(2),
		r.kernelBiasOptions("kernel"),
	}
	if v, ok := config["output_padding"]; ok && v != nil {
		opts = append(opts, WithOutputPadding(r.Ints("output_padding", nil, 2)...))
	} else {
		r.Null("output_padding")
	}
	r.Accept("data_format", "channels_last")
	r.Null("activity_regularizer")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Conv2DTranspose(filters, 0, opts...), nil
}
