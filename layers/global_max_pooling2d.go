package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// GlobalMaxPooling2DLayer is Keras's GlobalMaxPooling2D: the maximum of
// each channel over the whole image, (H, W, C) → (C).
type GlobalMaxPooling2DLayer struct{ base }

// GlobalMaxPooling2D keeps the largest value of each channel. It takes only
// WithName; Keras's keepdims is not supported (it is false).
func GlobalMaxPooling2D(opts ...Option) *GlobalMaxPooling2DLayer {
	o, err := apply("GlobalMaxPooling2D", opts)
	return &GlobalMaxPooling2DLayer{base{name: o.name, err: err}}
}

func (l *GlobalMaxPooling2DLayer) ClassName() string { return "GlobalMaxPooling2D" }

func (l *GlobalMaxPooling2DLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if len(input) != 3 {
		return nil, buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s)", shapeList(input))
	}
	return []int{input[2]}, nil
}

func (l *GlobalMaxPooling2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.GlobalMaxPool2D(x)
}

func (l *GlobalMaxPooling2DLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "data_format": "channels_last", "keepdims": false}
}

func init() {
	Register("GlobalMaxPooling2D", func(config map[string]any) (Layer, error) {
		r := NewConfigReader("GlobalMaxPooling2D", config)
		name := r.Name()
		r.Accept("data_format", "channels_last")
		r.Accept("keepdims", false)
		if err := r.Err(); err != nil {
			return nil, err
		}
		return GlobalMaxPooling2D(WithName(name)), nil
	})
}
