package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// FlattenLayer folds every axis but the batch axis into one: (28, 28) → (784).
// Channels-last input is flattened in its natural order, as Keras does.
type FlattenLayer struct{ base }

// Flatten makes a Flatten layer. It takes only WithName.
func Flatten(opts ...Option) *FlattenLayer {
	o, err := apply("Flatten", opts)
	return &FlattenLayer{base{name: o.name, err: err}}
}

func (l *FlattenLayer) ClassName() string { return "Flatten" }

func (l *FlattenLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	return []int{tensor.Numel(input)}, nil
}

func (l *FlattenLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var { return p.Flatten(x) }

func (l *FlattenLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "data_format": "channels_last"}
}
