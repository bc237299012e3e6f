package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// LeakyReLULayer is Keras's LeakyReLU layer: x for x > 0, negative_slope·x
// otherwise. Unlike the leaky_relu activation (slope 0.2), its slope is
// set per layer, default 0.3 as in Keras; PyTorch's LeakyReLU defaults to
// 0.01.
type LeakyReLULayer struct {
	base
	slope float64
}

// LeakyReLU makes the layer with the given negative slope
// (keras.layers.LeakyReLU(negative_slope)). It takes only WithName.
func LeakyReLU(negativeSlope float64, opts ...Option) *LeakyReLULayer {
	o, err := apply("LeakyReLU", opts)
	if err == nil && (math.IsNaN(negativeSlope) || math.IsInf(negativeSlope, 0) || negativeSlope < 0) {
		err = fmt.Errorf("LeakyReLU needs a finite negative_slope ≥ 0, got %v", negativeSlope)
	}
	return &LeakyReLULayer{base: base{name: o.name, err: err}, slope: negativeSlope}
}

func (l *LeakyReLULayer) ClassName() string { return "LeakyReLU" }

// NegativeSlope is the slope for x ≤ 0.
func (l *LeakyReLULayer) NegativeSlope() float64 { return l.slope }

func (l *LeakyReLULayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	return input, nil
}

func (l *LeakyReLULayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.LeakyReLU(x, l.slope)
}

func (l *LeakyReLULayer) Config() map[string]any {
	return map[string]any{"name": l.name, "negative_slope": l.slope}
}

func init() {
	Register("LeakyReLU", func(config map[string]any) (Layer, error) {
		r := NewConfigReader("LeakyReLU", config)
		name := r.Name()
		slope := r.Float("negative_slope", 0.3)
		if _, ok := config["alpha"]; ok { // Keras 2's name for it
			slope = r.Float("alpha", 0.3)
		}
		if err := r.Err(); err != nil {
			return nil, err
		}
		return LeakyReLU(slope, WithName(name)), nil
	})
}
