package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
)

// ActivationLayer applies an activation function on its own.
type ActivationLayer struct {
	base
	act activations.Activation
}

// Activation makes a layer that applies the activation called name
// ("relu", "softmax", ...). It takes only WithName.
func Activation(name string, opts ...Option) *ActivationLayer {
	o, err := apply("Activation", opts)
	act, aerr := activations.Get(name)
	if err == nil {
		err = aerr
	}
	return &ActivationLayer{base: base{name: o.name, err: err}, act: act}
}

func (l *ActivationLayer) ClassName() string { return "Activation" }

func (l *ActivationLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	return input, nil
}

func (l *ActivationLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return l.act.Apply(p, x)
}

func (l *ActivationLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "activation": l.act.Name()}
}
