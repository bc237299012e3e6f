package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/goras-ml/goras/autograd"
)

// PermuteLayer is Keras's Permute: it reorders the axes of each sample,
// e.g. Permute(2, 1) swaps the two axes of a (steps, features) sample, and
// Permute(3, 1, 2) turns a channels-last image (H, W, C) into channels
// first (C, H, W). Axes count from 1, the batch axis staying in place. It
// has no weights.
type PermuteLayer struct {
	base
	dims []int
}

// Permute makes a layer whose output axis i is input axis dims[i] (counted
// from 1, as Keras's Permute(dims)); dims must name every axis of a sample
// once. It takes only WithName.
func Permute(dims []int, opts ...Option) *PermuteLayer {
	o, err := apply("Permute", opts)
	l := &PermuteLayer{dims: slices.Clone(dims)}
	if err == nil && !isPermutation(dims) {
		err = fmt.Errorf("Permute dims %v must list the axes 1, ..., %d once each, in any order", dims, len(dims))
	}
	l.base = base{name: o.name, err: err}
	return l
}

// isPermutation reports whether dims holds 1, ..., len(dims) in some order.
func isPermutation(dims []int) bool {
	seen := make([]bool, len(dims)+1)
	for _, d := range dims {
		if d < 1 || d > len(dims) || seen[d] {
			return false
		}
		seen[d] = true
	}
	return len(dims) > 0
}

func (l *PermuteLayer) ClassName() string { return "Permute" }

// Dims is the permutation, counted from 1.
func (l *PermuteLayer) Dims() []int { return slices.Clone(l.dims) }

func (l *PermuteLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if len(input) != len(l.dims) {
		return nil, buildError(l, "dims %v permute %d axes, but the input (None, %s) has %d per sample", l.dims, len(l.dims), shapeList(input), len(input))
	}
	out := make([]int, len(input))
	for i, d := range l.dims {
		out[i] = input[d-1]
	}
	return out, nil
}

func (l *PermuteLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.Transpose(x, append([]int{0}, l.dims...)...)
}

func (l *PermuteLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "dims": intsToAny(l.dims)}
}

func init() { Register("Permute", permuteFromConfig) }

func permuteFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Permute", config)
	r.Require("dims")
	name := r.Name()
	dims, err := r.intList("dims")
	if err := r.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return Permute(dims, WithName(name)), nil
}

// intList reads a list of integers of any length.
func (r *ConfigReader) intList(key string) ([]int, error) {
	v, _ := r.get(key)
	list, ok := v.([]any)
	out := make([]int, len(list))
	for i, d := range list {
		if out[i], ok = configInt(d); !ok {
			break
		}
	}
	if !ok {
		return nil, fmt.Errorf("layers: %s config: %q must be a list of integers, got %s", r.class, key, configShow(v))
	}
	return out, nil
}
