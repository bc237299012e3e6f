package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// RescalingLayer computes x·scale + offset, Keras's Rescaling: put it first
// to feed raw pixels, e.g. Rescaling(1.0/255, 0) maps 0–255 to [0, 1] and
// Rescaling(1.0/127.5, -1) to [-1, 1]. It has no weights and acts the same
// in training and inference.
type RescalingLayer struct {
	base
	scale, offset float64
}

// Rescaling makes a layer computing x·scale + offset (Keras's default
// offset is 0). It takes only WithName.
func Rescaling(scale, offset float64, opts ...Option) *RescalingLayer {
	o, err := apply("Rescaling", opts)
	if err == nil && (math.IsNaN(scale) || math.IsInf(scale, 0) || math.IsNaN(offset) || math.IsInf(offset, 0)) {
		err = fmt.Errorf("Rescaling needs finite scale and offset, got %v and %v", scale, offset)
	}
	return &RescalingLayer{base: base{name: o.name, err: err}, scale: scale, offset: offset}
}

func (l *RescalingLayer) ClassName() string { return "Rescaling" }

func (l *RescalingLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	return input, nil
}

func (l *RescalingLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.Rescale(x, l.scale, l.offset)
}

func (l *RescalingLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "scale": l.scale, "offset": l.offset}
}

func init() { Register("Rescaling", rescalingFromConfig) }

func rescalingFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Rescaling", config)
	r.Require("scale")
	scale := r.Float("scale", 1)
	offset := r.Float("offset", 0)
	name := r.Name()
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Rescaling(scale, offset, WithName(name)), nil
}
