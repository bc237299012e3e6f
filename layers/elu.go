package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// ELULayer is Keras's ELU layer: x for x > 0, alpha·(eˣ - 1) otherwise,
// with alpha set per layer (the elu activation has alpha 1).
type ELULayer struct {
	base
	alpha float64
}

// ELU makes the layer with the given alpha (keras.layers.ELU(alpha),
// default 1 in Keras). It takes only WithName.
func ELU(alpha float64, opts ...Option) *ELULayer {
	o, err := apply("ELU", opts)
	if err == nil && (math.IsNaN(alpha) || math.IsInf(alpha, 0)) {
		err = fmt.Errorf("ELU needs a finite alpha, got %v", alpha)
	}
	return &ELULayer{base: base{name: o.name, err: err}, alpha: alpha}
}

func (l *ELULayer) ClassName() string { return "ELU" }

// Alpha is the scale of the negative part.
func (l *ELULayer) Alpha() float64 { return l.alpha }

func (l *ELULayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	return input, nil
}

func (l *ELULayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var { return p.ELU(x, l.alpha) }

func (l *ELULayer) Config() map[string]any { return map[string]any{"name": l.name, "alpha": l.alpha} }

func init() {
	Register("ELU", func(config map[string]any) (Layer, error) {
		r := NewConfigReader("ELU", config)
		name := r.Name()
		alpha := r.Float("alpha", 1)
		if err := r.Err(); err != nil {
			return nil, err
		}
		return ELU(alpha, WithName(name)), nil
	})
}
