package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// Pooling1DLayer is Keras's MaxPooling1D or AveragePooling1D on
// channels-last sequences: each channel of each pool-sized window of steps
// becomes its maximum or mean, (steps, C) → (new_steps, C). It has no
// weights.
//
// It runs on goras's 2-D pooling: a batch of sequences (N, steps, C) is,
// without a copy, a batch of images one row high (N, 1, steps, C), pooled
// with a 1×pool_size window.
type Pooling1DLayer struct {
	base
	class              string
	max                bool
	window, stride     int
	padding            string
	out, before, after int // output steps and padding, set by Build
}

// MaxPooling1D keeps the largest value of each window of steps, as
// keras.layers.MaxPooling1D (alias MaxPool1D). It takes WithPoolSize (one
// value, default 2), WithStrides (one value, default: the pool size, as
// Keras's strides=None), WithPadding (default "valid"; with "same" the
// output has ⌈steps/stride⌉ steps and the padding never wins) and WithName.
//
//	layers.MaxPooling1D()                                        // 100 steps → 50
//	layers.MaxPooling1D(layers.WithPoolSize(3), layers.WithStrides(1), layers.WithPadding("same"))
func MaxPooling1D(opts ...Option) *Pooling1DLayer {
	return newPooling1D("MaxPooling1D", true, 0, opts)
}

// AveragePooling1D averages each window of poolSize steps, as
// keras.layers.AveragePooling1D(pool_size) (alias AvgPool1D), whose pool
// size has no default in Keras 3. It takes WithPoolSize (it replaces
// poolSize), WithStrides (one value, default: the pool size), WithPadding
// (default "valid"; with "same" a window at either end is the mean of its
// real steps only, as in Keras) and WithName.
func AveragePooling1D(poolSize int, opts ...Option) *Pooling1DLayer {
	return newPooling1D("AveragePooling1D", false, poolSize, opts)
}

func newPooling1D(class string, isMax bool, size int, opts []Option) *Pooling1DLayer {
	o, err := apply(class, opts, "pool_size", "strides", "padding")
	l := &Pooling1DLayer{class: class, max: isMax}
	def := 0
	if isMax {
		def = 2
	}
	if err == nil {
		l.window, l.stride, l.padding, err = sequenceOptions(class, o, size, "WithPoolSize", def, 0, false)
	}
	l.base = base{name: o.name, err: err}
	return l
}

// ClassName is Keras's class name, "MaxPooling1D" or "AveragePooling1D".
func (l *Pooling1DLayer) ClassName() string { return l.class }

// PoolSize is the window, in steps.
func (l *Pooling1DLayer) PoolSize() int { return l.window }

// Build works out the output length and the padding for an input
// (steps, C); the output is (new_steps, C).
func (l *Pooling1DLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if err := checkSequence(l, input, l.window, l.padding, "pool size"); err != nil {
		return nil, err
	}
	l.out, l.before, l.after = window1D(input[0], l.window, l.stride, l.padding)
	return []int{l.out, input[1]}, nil
}

// Call adds one 2-D pooling op between two reshapes, which cost nothing.
func (l *Pooling1DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	xs := x.Shape()
	pool := p.AvgPool2D
	if l.max {
		pool = p.MaxPool2D
	}
	y := pool(p.Reshape(x, xs[0], 1, xs[1], xs[2]), 1, l.window, 1, l.stride, 0, 0, l.before, l.after)
	return p.Reshape(y, xs[0], l.out, xs[2])
}

// Config is Keras's get_config of the layer, the sizes as 1-tuples and
// strides resolved (never null).
func (l *Pooling1DLayer) Config() map[string]any {
	return map[string]any{
		"name":        l.name,
		"pool_size":   []any{l.window},
		"strides":     []any{l.stride},
		"padding":     l.padding,
		"data_format": "channels_last",
	}
}

func init() {
	Register("MaxPooling1D", func(c map[string]any) (Layer, error) { return pooling1DFromConfig("MaxPooling1D", c) })
	Register("AveragePooling1D", func(c map[string]any) (Layer, error) { return pooling1DFromConfig("AveragePooling1D", c) })
}

// pooling1DFromConfig rebuilds a 1-D pooling layer from its Keras config;
// pool_size and strides may be an integer or a list of one, and strides
// null means the pool size, as in Keras.
func pooling1DFromConfig(class string, config map[string]any) (Layer, error) {
	r := NewConfigReader(class, config)
	isMax := class == "MaxPooling1D"
	var size []int
	if isMax {
		size = r.Ints("pool_size", []int{2}, 1)
	} else {
		r.Require("pool_size")
		size = r.Ints("pool_size", []int{0}, 1)
	}
	opts := []Option{WithName(r.Name()), WithPoolSize(size...), WithPadding(r.String("padding", paddingValid))}
	if v, ok := config["strides"]; ok && v != nil {
		opts = append(opts, WithStrides(r.Ints("strides", nil, 1)...))
	} else {
		r.Null("strides")
	}
	r.Accept("data_format", "channels_last")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return newPooling1D(class, isMax, 0, opts), nil
}
