package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// PaddedPooling2DLayer is max or average pooling with padding given side by
// side, as ONNX's MaxPool and AveragePool and PyTorch's pooling take it,
// where Keras's MaxPooling2D and AveragePooling2D know only "valid" and
// "same". It is goras's own layer: ONNX import makes it when a model's
// padding is neither (ResNet's 3×3 max pool with padding 1, or ceil_mode's
// extra window). Padding never wins a max and is not counted in an average,
// as in Keras (ONNX's count_include_pad 0).
type PaddedPooling2DLayer struct {
	base
	max             bool
	window, strides [2]int
	pad             [2][2]int // (top, bottom), (left, right)
}

// PaddedPooling2D makes the layer: mode "max" or "average", the pool size and
// strides as (rows, columns), the padding as ((top, bottom), (left,
// right)), each side smaller than the window. It takes only WithName.
func PaddedPooling2D(mode string, poolSize, strides [2]int, padding [2][2]int, opts ...Option) *PaddedPooling2DLayer {
	o, err := apply("PaddedPooling2D", opts)
	l := &PaddedPooling2DLayer{max: mode == "max", window: poolSize, strides: strides, pad: padding}
	switch {
	case err != nil:
	case mode != "max" && mode != "average":
		err = fmt.Errorf("PaddedPooling2D mode must be \"max\" or \"average\", got %q", mode)
	case poolSize[0] < 1 || poolSize[1] < 1 || strides[0] < 1 || strides[1] < 1:
		err = fmt.Errorf("PaddedPooling2D needs a positive pool size and strides, got %v and %v", poolSize, strides)
	}
	for a := 0; a < 2 && err == nil; a++ {
		for _, p := range padding[a] {
			if p < 0 || p >= poolSize[a] {
				err = fmt.Errorf("PaddedPooling2D padding %v: each side must be ≥ 0 and smaller than the pool size %v, so that every window holds a cell of the image", sidesConfig(padding), poolSize)
			}
		}
	}
	l.base = base{name: o.name, err: err}
	return l
}

func (l *PaddedPooling2DLayer) ClassName() string { return "PaddedPooling2D" }

// Mode is "max" or "average".
func (l *PaddedPooling2DLayer) Mode() string {
	if l.max {
		return "max"
	}
	return "average"
}

// Geometry is the pool size, the strides and the padding ((top, bottom),
// (left, right)).
func (l *PaddedPooling2DLayer) Geometry() (poolSize, strides [2]int, padding [2][2]int) {
	return l.window, l.strides, l.pad
}

func (l *PaddedPooling2DLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if len(input) != 3 {
		return nil, buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s)", shapeList(input))
	}
	h, w := input[0]+l.pad[0][0]+l.pad[0][1], input[1]+l.pad[1][0]+l.pad[1][1]
	if h < l.window[0] || w < l.window[1] {
		return nil, buildError(l, "pool size %v is larger than its padded %dx%d input", l.window, h, w)
	}
	return []int{(h-l.window[0])/l.strides[0] + 1, (w-l.window[1])/l.strides[1] + 1, input[2]}, nil
}

func (l *PaddedPooling2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	pool := p.AvgPool2D
	if l.max {
		pool = p.MaxPool2D
	}
	return pool(x, l.window[0], l.window[1], l.strides[0], l.strides[1], l.pad[0][0], l.pad[0][1], l.pad[1][0], l.pad[1][1])
}

func (l *PaddedPooling2DLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "mode": l.Mode(), "pool_size": pairConfig(l.window), "strides": pairConfig(l.strides),
		"padding": sidesConfig(l.pad), "data_format": "channels_last"}
}

func init() {
	Register("PaddedPooling2D", func(config map[string]any) (Layer, error) {
		r := NewConfigReader("PaddedPooling2D", config)
		r.Require("mode", "pool_size", "strides", "padding")
		name, mode := r.Name(), r.String("mode", "")
		size, strides := r.Ints("pool_size", []int{0, 0}, 2), r.Ints("strides", []int{0, 0}, 2)
		v, _ := r.get("padding")
		r.Accept("data_format", "channels_last")
		if err := r.Err(); err != nil {
			return nil, err
		}
		pad, err := parseSides("PaddedPooling2D", "padding", v)
		if err != nil {
			return nil, err
		}
		return PaddedPooling2D(mode, [2]int{size[0], size[1]}, [2]int{strides[0], strides[1]}, pad, WithName(name)), nil
	})
}
