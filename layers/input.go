package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// InputLayer declares the per-sample shape a model takes, as keras.Input does.
// It must come first in a Sequential model and adds nothing to the plan.
type InputLayer struct {
	base
	shape []int
}

// Input declares the per-sample input shape, without the batch axis:
// Input(28, 28) for MNIST digits, Input(28, 28, 1) for a convolutional net.
func Input(shape ...int) *InputLayer {
	l := &InputLayer{shape: append([]int(nil), shape...)}
	if len(shape) == 0 {
		l.err = fmt.Errorf("Input needs a shape, e.g. Input(28, 28)")
	}
	for _, d := range shape {
		if d <= 0 {
			l.err = fmt.Errorf("Input shape %v has a dimension ≤ 0", shape)
		}
	}
	return l
}

// Shape is the declared per-sample shape.
func (l *InputLayer) Shape() []int { return l.shape }

func (l *InputLayer) ClassName() string { return "InputLayer" }

func (l *InputLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, l.err
	}
	return l.shape, nil
}

func (l *InputLayer) Call(_ *autograd.Plan, x *autograd.Var) *autograd.Var { return x }

func (l *InputLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "batch_shape": append([]any{nil}, intsToAny(l.shape)...)}
}

func intsToAny(s []int) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
