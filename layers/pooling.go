package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// Pooling2DLayer is Keras's MaxPooling2D or AveragePooling2D on
// channels-last images: each channel of each pool-sized window becomes its
// maximum or mean. It has no weights.
type Pooling2DLayer struct {
	base
	class           string
	max             bool
	window, strides [2]int
	padding         string
	pads            pads
}

// MaxPooling2D keeps the largest value of each window, as
// keras.layers.MaxPooling2D. It takes WithPoolSize (default 2×2),
// WithStrides (default: the pool size), WithPadding (default "valid"; with
// "same" the padding never wins) and WithName.
//
//	layers.MaxPooling2D()                      // 28×28 → 14×14
//	layers.MaxPooling2D(layers.WithPoolSize(3), layers.WithStrides(2))
func MaxPooling2D(opts ...Option) *Pooling2DLayer {
	return newPooling("MaxPooling2D", true, 0, opts)
}

// AveragePooling2D averages each poolSize×poolSize window, as
// keras.layers.AveragePooling2D(pool_size), whose pool size has no default
// in Keras 3. It takes WithPoolSize (for a rectangular window; it replaces
// poolSize), WithStrides (default: the pool size), WithPadding (default
// "valid"; with "same" a window at the border is the mean of its real cells
// only) and WithName.
func AveragePooling2D(poolSize int, opts ...Option) *Pooling2DLayer {
	return newPooling("AveragePooling2D", false, poolSize, opts)
}

func newPooling(class string, isMax bool, size int, opts []Option) *Pooling2DLayer {
	o, err := apply(class, opts, "pool_size", "strides", "padding")
	l := &Pooling2DLayer{class: class, max: isMax}
	def := [2]int{}
	if isMax {
		def = [2]int{2, 2}
	}
	if err == nil {
		l.window, l.strides, l.padding, err = windowOptions(class, o, size, "WithPoolSize", def, 0)
	}
	l.base = base{name: o.name, err: err}
	return l
}

func (l *Pooling2DLayer) ClassName() string { return l.class }

// PoolSize is the window, (rows, columns).
func (l *Pooling2DLayer) PoolSize() [2]int { return l.window }

func (l *Pooling2DLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if err := checkImage(l, input, l.window, l.padding, "pool size"); err != nil {
		return nil, err
	}
	oh, ow, p := window2D(input[0], input[1], l.window, l.strides, l.padding)
	l.pads = p
	return []int{oh, ow, input[2]}, nil
}

func (l *Pooling2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	pool := p.AvgPool2D
	if l.max {
		pool = p.MaxPool2D
	}
	return pool(x, l.window[0], l.window[1], l.strides[0], l.strides[1], l.pads.top, l.pads.bottom, l.pads.left, l.pads.right)
}

func (l *Pooling2DLayer) Config() map[string]any {
	return map[string]any{
		"name":        l.name,
		"pool_size":   pairConfig(l.window),
		"strides":     pairConfig(l.strides),
		"padding":     l.padding,
		"data_format": "channels_last",
	}
}

// GlobalAveragePooling2DLayer is Keras's GlobalAveragePooling2D: the mean of
// each channel over the whole image, (H, W, C) → (C).
type GlobalAveragePooling2DLayer struct{ base }

// GlobalAveragePooling2D averages each channel over height and width. It
// takes only WithName; Keras's keepdims is not supported (it is false).
func GlobalAveragePooling2D(opts ...Option) *GlobalAveragePooling2DLayer {
	o, err := apply("GlobalAveragePooling2D", opts)
	return &GlobalAveragePooling2DLayer{base{name: o.name, err: err}}
}

func (l *GlobalAveragePooling2DLayer) ClassName() string { return "GlobalAveragePooling2D" }

func (l *GlobalAveragePooling2DLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if len(input) != 3 {
		return nil, buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s)", shapeList(input))
	}
	return []int{input[2]}, nil
}

func (l *GlobalAveragePooling2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.GlobalAvgPool2D(x)
}

func (l *GlobalAveragePooling2DLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "data_format": "channels_last", "keepdims": false}
}

func init() {
	Register("MaxPooling2D", func(c map[string]any) (Layer, error) { return poolingFromConfig("MaxPooling2D", c) })
	Register("AveragePooling2D", func(c map[string]any) (Layer, error) { return poolingFromConfig("AveragePooling2D", c) })
	Register("GlobalAveragePooling2D", globalAveragePooling2DFromConfig)
}

// poolingFromConfig rebuilds a pooling layer from its Keras config; strides
// null means the pool size, as in Keras.
func poolingFromConfig(class string, config map[string]any) (Layer, error) {
	r := NewConfigReader(class, config)
	var size []int
	if class == "MaxPooling2D" {
		size = r.Ints("pool_size", []int{2, 2}, 2)
	} else {
		r.Require("pool_size")
		size = r.Ints("pool_size", []int{0, 0}, 2)
	}
	opts := []Option{WithName(r.Name()), WithPoolSize(size...), WithPadding(r.String("padding", paddingValid))}
	if v, ok := config["strides"]; ok && v != nil {
		opts = append(opts, WithStrides(r.Ints("strides", nil, 2)...))
	} else {
		r.Null("strides")
	}
	r.Accept("data_format", "channels_last")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return newPooling(class, class == "MaxPooling2D", 0, opts), nil
}

func globalAveragePooling2DFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("GlobalAveragePooling2D", config)
	name := r.Name()
	r.Accept("data_format", "channels_last")
	r.Accept("keepdims", false)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return GlobalAveragePooling2D(WithName(name)), nil
}
