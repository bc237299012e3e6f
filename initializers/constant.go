package initializers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/tensor"
)

type constant struct {
	name  string
	value float64
}

// Zeros sets every weight to 0 (Keras Zeros, "zeros", the bias default).
func Zeros() Initializer { return constant{"Zeros", 0} }

// Ones sets every weight to 1 (Keras "ones").
func Ones() Initializer { return constant{"Ones", 1} }

// Constant sets every weight to value (Keras Constant; its string name
// "constant" means value 0). It panics if value is not finite.
func Constant(value float64) Initializer { return must(newConstant(value)) }

func newConstant(value float64) (Initializer, error) {
	if !finite(value) {
		return nil, fmt.Errorf("initializers: Constant: value must be finite, got %v", value)
	}
	return constant{"Constant", value}, nil
}

func (c constant) Initialize(t *tensor.Tensor, _ *rand.Rand) {
	d := t.Data()
	v := float32(c.value)
	for i := range d {
		d[i] = v
	}
}

func (c constant) Name() string { return c.name }

func (c constant) Config() map[string]any {
	if c.name == "Constant" {
		return map[string]any{"value": c.value}
	}
	return map[string]any{}
}
