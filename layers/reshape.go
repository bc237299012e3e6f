package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// ReshapeLayer gives each sample a new shape with the same number of values,
// as Keras's Reshape(target_shape): (784) → (28, 28, 1). It copies nothing.
type ReshapeLayer struct {
	base
	target []int // as given, one -1 allowed
	shape  []int // resolved by Build
}

// Reshape makes a layer that reshapes each sample (no batch axis) to
// targetShape. One dimension may be -1: it is inferred from the others, as
// Keras and NumPy do. Name it with SetName, or let the model call it
// reshape, reshape_1, ...
func Reshape(targetShape ...int) *ReshapeLayer {
	l := &ReshapeLayer{target: append([]int(nil), targetShape...)}
	unknown := 0
	for _, d := range targetShape {
		switch {
		case d == -1:
			unknown++
		case d <= 0:
			l.err = fmt.Errorf("Reshape target shape %v has a dimension %d; use positive sizes and at most one -1", targetShape, d)
		}
	}
	switch {
	case len(targetShape) == 0:
		l.err = fmt.Errorf("Reshape needs a target shape, e.g. Reshape(28, 28, 1)")
	case unknown > 1:
		l.err = fmt.Errorf("Reshape target shape %v has %d dimensions -1; at most one can be inferred", targetShape, unknown)
	}
	return l
}

func (l *ReshapeLayer) ClassName() string { return "Reshape" }

func (l *ReshapeLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	size, known, free := tensor.Numel(input), 1, -1
	for i, d := range l.target {
		if d == -1 {
			free = i
		} else {
			known *= d
		}
	}
	l.shape = append(l.shape[:0], l.target...)
	if free >= 0 {
		if size%known != 0 {
			return nil, buildError(l, "cannot reshape (None, %s) of %d values per sample to (None, %s): %d is not a multiple of %d",
				shapeList(input), size, shapeList(l.target), size, known)
		}
		l.shape[free] = size / known
	} else if known != size {
		return nil, buildError(l, "cannot reshape (None, %s) of %d values per sample to (None, %s) of %d values",
			shapeList(input), size, shapeList(l.target), known)
	}
	return append([]int(nil), l.shape...), nil
}

func (l *ReshapeLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.Reshape(x, append([]int{x.Shape()[0]}, l.shape...)...)
}

func (l *ReshapeLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "target_shape": intsToAny(l.target)}
}

func init() { Register("Reshape", reshapeFromConfig) }

func reshapeFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Reshape", config)
	r.Require("target_shape")
	name := r.Name()
	v, _ := r.get("target_shape")
	if err := r.Err(); err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	shape := make([]int, len(list))
	for i, d := range list {
		if shape[i], ok = configInt(d); !ok {
			break
		}
	}
	if !ok {
		return nil, fmt.Errorf("layers: Reshape config: %q must be a list of integers, got %s", "target_shape", configShow(v))
	}
	l := Reshape(shape...)
	l.SetName(name)
	return l, nil
}
