package layers

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
)

// Conv1DLayer is Keras's Conv1D (keras.layers.Conv1D, alias Convolution1D)
// on channels-last sequences: y = activation(conv(x, kernel) + bias), x
// (steps, C) per sample, kernel (K, C, filters), bias (filters), output
// (new_steps, filters).
//
// It runs on goras's Conv2D: a batch of sequences (N, steps, C) is, without
// a copy, a batch of images one row high (N, 1, steps, C), and the kernel
// (K, C, F) is a 1×K kernel (1, K, C, F); the output comes back the same
// way. Conv2D has no dilation, so a dilated kernel (rate d > 1) folds the
// sequence instead: padded to a multiple of d and seen as rows of d steps,
// tap k of the kernel reads row i+k of the same column, which is step
// t + k·d, a K×1 Conv2D (see dilatedCall).
type Conv1DLayer struct {
	base
	filters, window, stride, dilation int
	padding                           string
	act                               activations.Activation
	opts                              *options
	out, before, after                int // output steps and zeros around the input, set by Build
	kernel, bias                      *autograd.Param
}

// paddingCausal is Conv1D's third padding: K' - 1 zeros before the
// sequence (K' the dilated kernel's span) and none after, so that output
// step t reads input steps up to t only.
const paddingCausal = "causal"

// Conv1D makes a 1-D convolution over the steps of (steps, channels)
// sequences with the given number of filters and a window of kernelSize
// steps, as keras.layers.Conv1D(filters, kernel_size).
//
//	layers.Conv1D(16, 3, layers.WithActivation("relu"))
//	layers.Conv1D(8, 2, layers.WithPadding("causal"), layers.WithDilationRate(4))
//
// It takes WithKernelSize (one value; it replaces kernelSize), WithStrides
// (one value, default 1), WithPadding (default "valid"; "same" as Conv2D;
// "causal" pads (K-1)·dilation zeros before the sequence only, so that
// output t sees no input after t and the output has ⌈steps/stride⌉ steps),
// WithDilationRate (one value, default 1; above 1 only with stride 1, as in
// Keras), WithActivation (default linear), WithUseBias (default true),
// WithKernelInitializer (default glorot_uniform, fan_in = K·C, fan_out =
// K·filters), WithBiasInitializer (default zeros), WithKernelRegularizer,
// WithBiasRegularizer, WithKernelConstraint, WithBiasConstraint and
// WithName. Keras's groups is 1 and data_format channels_last only.
func Conv1D(filters, kernelSize int, opts ...ConvOption) *Conv1DLayer {
	o, c, err := convOptions("Conv1D", opts, []string{"dilation_rate"}, convOptionKeys...)
	l := &Conv1DLayer{filters: filters, opts: o, dilation: 1}
	act, aerr := activations.Get(o.activation)
	l.act = act
	if err == nil {
		l.window, l.stride, l.padding, err = sequenceOptions("Conv1D", o, kernelSize, "WithKernelSize", 0, 1, true)
	}
	if err == nil && c.dilation != nil {
		l.dilation, err = single("WithDilationRate", c.dilation)
		if err != nil {
			err = fmt.Errorf("Conv1D: %v", err)
		}
	}
	switch {
	case err != nil:
	case filters <= 0:
		err = fmt.Errorf("Conv1D needs a positive number of filters, got %d", filters)
	case l.dilation > 1 && l.stride > 1:
		err = fmt.Errorf("Conv1D takes strides > 1 or dilation_rate > 1, not both (as Keras), got strides %d and dilation_rate %d; set one of them to 1", l.stride, l.dilation)
	case aerr != nil:
		err = aerr
	}
	l.base = base{name: o.name, err: err}
	return l
}

// ClassName is Keras's class name, "Conv1D".
func (l *Conv1DLayer) ClassName() string { return "Conv1D" }

// Filters is the number of output channels.
func (l *Conv1DLayer) Filters() int { return l.filters }

// KernelSize is the window, in steps.
func (l *Conv1DLayer) KernelSize() int { return l.window }

// geometry is the output length and the zeros before and after a sequence
// of the given number of steps.
func (l *Conv1DLayer) geometry(steps int) (out, before, after int) {
	span := dilated(l.window, l.dilation)
	if l.padding == paddingCausal {
		return (steps-1)/l.stride + 1, span - 1, 0
	}
	return window1D(steps, span, l.stride, l.padding)
}

// ParamShapes is the kernel (K, C, filters) and the bias (filters), and the
// output shape, for an input (steps, C); see ParamShaper.
func (l *Conv1DLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	what := "kernel"
	if l.dilation > 1 {
		what = "dilated kernel"
	}
	if err := checkSequence(l, input, dilated(l.window, l.dilation), l.padding, what); err != nil {
		return nil, nil, err
	}
	out, before, after := l.geometry(input[0])
	// A dilated kernel runs on the sequence padded with its zeros
	// (dilatedCall), which a large rate makes long: held to the model's
	// bound on a sample's values, as a layer's output is.
	if padded := before + input[0] + after; l.dilation > 1 && padded > maxPaddedValues/max(input[1], 1) {
		return nil, nil, buildError(l, "dilated kernel of %d steps at rate %d pads each sequence to %d steps of %d channels, more than %d values; use a smaller dilation rate", l.window, l.dilation, padded, input[1], maxPaddedValues)
	}
	ps := l.opts.paramShapes(l.name, l.filters, ParamShape{l.name + "/kernel", []int{l.window, input[1], l.filters}})
	return ps, []int{out, l.filters}, nil
}

// Build makes the kernel (K, C, filters) and the bias for an input
// (steps, C), in Keras's order, and works out the padding.
func (l *Conv1DLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	ps, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	l.out, l.before, l.after = l.geometry(input[0])
	if l.kernel, l.bias, err = l.opts.kernelAndBias(l, ps, rng); err != nil {
		return nil, err
	}
	return out, nil
}

// Params is the kernel, then the bias unless WithUseBias(false).
func (l *Conv1DLayer) Params() []*autograd.Param {
	return withBias(l.bias, l.kernel)
}

// Call adds one Conv2D op (with the bias, and a ReLU fused as in Conv2D)
// between two reshapes, which cost nothing; a dilated kernel adds a copy of
// the padded input and of the output (dilatedCall).
func (l *Conv1DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	xs := x.Shape()
	n, c := xs[0], xs[2]
	relu := l.act.Name() == "relu"
	var y *autograd.Var
	if l.dilation == 1 {
		img := p.Reshape(x, n, 1, xs[1], c)
		y = p.Conv2DBiasReLU(img, paramView(l.kernel, 1, l.window, c, l.filters), l.bias, relu, 1, l.stride, 0, 0, l.before, l.after)
	} else {
		y = l.dilatedCall(p, x, relu)
	}
	y = p.Reshape(y, n, l.out, l.filters)
	if relu {
		return y
	}
	return l.act.Apply(p, y)
}

// dilatedCall convolves with a kernel of rate d > 1 (stride 1): the
// sequence, padded to P = before + steps + after steps and then with zeros
// up to R·d steps (R = ⌈P/d⌉), is seen as R rows of d steps, where step
// t + k·d sits k rows below step t. A K×1 Conv2D over these rows gives
// (R-K+1)·d outputs in step order, of which the first P - (K-1)·d are the
// layer's and the rest, which read only the appended zeros, are cut off.
func (l *Conv1DLayer) dilatedCall(p *autograd.Plan, x *autograd.Var, relu bool) *autograd.Var {
	xs := x.Shape()
	n, c, d := xs[0], xs[2], l.dilation
	padded := l.before + xs[1] + l.after
	rows := (padded + d - 1) / d
	extra := rows*d - padded
	img := p.Reshape(x, n, 1, xs[1], c)
	if l.before+l.after+extra > 0 {
		img = p.Pad2D(img, 0, 0, l.before, l.after+extra)
	}
	img = p.Reshape(img, n, rows, d, c)
	y := p.Conv2DBiasReLU(img, paramView(l.kernel, l.window, 1, c, l.filters), l.bias, relu, 1, 1, 0, 0, 0, 0)
	y = p.Reshape(y, n, 1, (rows-l.window+1)*d, l.filters)
	if extra > 0 {
		y = p.Pad2D(y, 0, 0, 0, -extra)
	}
	return y
}

// paramView is w seen with another shape of the same size: its value and
// gradient are views of w's, so that an op reading the view reads and
// trains w itself. Its regularizer and constraint stay on w, which the
// model applies.
func paramView(w *autograd.Param, shape ...int) *autograd.Param {
	v := &autograd.Param{Name: w.Name, Trainable: w.Trainable}
	v.SetBF16Products(w.BF16Products()) // w's precision, its own or the global one (mixedprecision.SetPolicy)
	var err error
	if v.Value, err = w.Value.Reshape(shape...); err != nil {
		panic(fmt.Sprintf("layers: view of %s: %v", w.Name, err))
	}
	if w.Grad != nil {
		v.Grad, _ = w.Grad.Reshape(shape...)
	}
	return v
}

// Config is Keras's get_config of Conv1D (without its bookkeeping keys
// trainable and dtype, and activity_regularizer, which goras lacks), the
// sizes as 1-tuples.
func (l *Conv1DLayer) Config() map[string]any {
	return l.opts.kernelBiasConfig(l.act, "kernel", map[string]any{
		"name":          l.name,
		"filters":       l.filters,
		"kernel_size":   []any{l.window},
		"strides":       []any{l.stride},
		"padding":       l.padding,
		"data_format":   "channels_last",
		"dilation_rate": []any{l.dilation},
		"groups":        1,
	})
}

func init() { Register("Conv1D", conv1DFromConfig) }

// conv1DFromConfig rebuilds a Conv1D from its Keras config. kernel_size,
// strides and dilation_rate may be an integer or a list of one, as Keras
// writes its 1-tuples.
func conv1DFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Conv1D", config)
	r.Require("filters", "kernel_size")
	filters := r.Int("filters", 0)
	opts := []ConvOption{
		WithName(r.Name()),
		r.convWindowOptions(1),
		r.kernelBiasOptions("kernel"),
	}
	r.Accept("data_format", "channels_last")
	r.Accept("groups", 1)
	r.Null("activity_regularizer", "lora_rank", "lora_alpha")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Conv1D(filters, 0, opts...), nil
}

// The 1-D layers' window options: the same options as the 2-D layers',
// with one value each (Keras's int or 1-tuple).

// sequenceOptions resolves the window, stride and padding of a 1-D layer,
// as windowOptions does for images; causal says whether "causal" padding
// is allowed (Conv1D's, not pooling's).
func sequenceOptions(class string, o *options, size int, option string, def, stride int, causal bool) (window, strides int, padding string, err error) {
	window = def
	if size < 0 {
		return 0, 0, "", fmt.Errorf("%s needs a positive window size, got %d", class, size)
	}
	if size > maxWindow { // as single
		return 0, 0, "", fmt.Errorf("%s takes a window size up to %d, got %d", class, maxWindow, size)
	}
	if size > 0 {
		window = size
	}
	given := o.kernelSize
	if option == "WithPoolSize" {
		given = o.poolSize
	}
	if given != nil {
		if window, err = single(option, given); err != nil {
			return 0, 0, "", fmt.Errorf("%s: %v", class, err)
		}
	}
	if window == 0 {
		return 0, 0, "", fmt.Errorf("%s needs a window size", class)
	}
	strides = stride
	if stride == 0 {
		strides = window
	}
	if o.strides != nil {
		if strides, err = single("WithStrides", o.strides); err != nil {
			return 0, 0, "", fmt.Errorf("%s: %v", class, err)
		}
	}
	padding = paddingValid
	if o.padding != "" {
		if causal && strings.EqualFold(o.padding, paddingCausal) {
			return window, strides, paddingCausal, nil
		}
		if padding, err = parsePadding(class, o.padding); err != nil && causal {
			err = fmt.Errorf("%s padding must be \"valid\", \"same\" or \"causal\", got %q", class, o.padding)
		}
	}
	return window, strides, padding, err
}

// maxPaddedValues bounds the values of one padded sample (2^28), as the
// model bounds a sample's values at any layer's output.
const maxPaddedValues = 1 << 28

// single reads the one value a 1-D layer's window option takes.
func single(option string, v []int) (int, error) {
	if len(v) != 1 {
		return 0, fmt.Errorf("%s takes one value for a sequence, got %d: %v", option, len(v), v)
	}
	if v[0] <= 0 {
		return 0, fmt.Errorf("%s needs a positive value, got %d", option, v[0])
	}
	if v[0] > maxWindow { // as pair
		return 0, fmt.Errorf("%s takes values up to %d, got %d", option, maxWindow, v[0])
	}
	return v[0], nil
}

// checkSequence validates a per-sample input for a 1-D windowed layer: it
// must be (steps, channels), and (valid padding) at least as long as the
// window's span.
func checkSequence(l Layer, input []int, span int, padding, what string) error {
	if len(input) != 2 {
		return buildError(l, "expects sequences of shape (steps, channels), got input of shape (None, %s); for 28×28 digits read row by row use layers.Input(28, 28)", shapeList(input))
	}
	if padding == paddingValid && input[0] < span {
		return buildError(l, "%s of %d steps is longer than its input of %d steps with padding \"valid\"; use a smaller %s or padding \"same\"", what, span, input[0], what)
	}
	return nil
}
