// Package activations holds Keras's activation functions by name, as the
// `activation="relu"` argument of a layer names them.
package activations

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goras-ml/goras/autograd"
)

// Activation is a named element-wise (or row-wise, for softmax) function
// that a layer applies to its output.
type Activation struct {
	name  string
	apply func(p *autograd.Plan, x *autograd.Var) *autograd.Var
}

// Name is the Keras name, e.g. "relu"; the identity is "linear".
func (a Activation) Name() string { return a.name }

// Apply adds the activation to a plan. The identity adds nothing.
func (a Activation) Apply(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if a.apply == nil {
		return x
	}
	return a.apply(p, x)
}

var registry = map[string]Activation{
	"linear":  {name: "linear"},
	"relu":    {name: "relu", apply: (*autograd.Plan).ReLU},
	"sigmoid": {name: "sigmoid", apply: (*autograd.Plan).Sigmoid},
	"tanh":    {name: "tanh", apply: (*autograd.Plan).Tanh},
	"softmax": {name: "softmax", apply: (*autograd.Plan).Softmax},
	// More activations (see more.go), each with Keras's default arguments.
	"leaky_relu":  {name: "leaky_relu", apply: leakyReLU},
	"elu":         {name: "elu", apply: elu},
	"selu":        {name: "selu", apply: (*autograd.Plan).SELU},
	"gelu":        {name: "gelu", apply: (*autograd.Plan).GELU},
	"silu":        {name: "silu", apply: (*autograd.Plan).SiLU},
	"swish":       {name: "silu", apply: (*autograd.Plan).SiLU},
	"softplus":    {name: "softplus", apply: (*autograd.Plan).Softplus},
	"log_softmax": {name: "log_softmax", apply: (*autograd.Plan).LogSoftmax},
}

// Linear is the identity, Keras's activation=None.
var Linear = registry["linear"]

// Get returns the activation called name (case-insensitive). The empty name
// means linear, as Keras's None does.
func Get(name string) (Activation, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" || key == "none" {
		key = "linear"
	}
	if a, ok := registry[key]; ok {
		return a, nil
	}
	return Activation{}, fmt.Errorf("activations: unknown activation %q; known: %s", name, strings.Join(Names(), ", "))
}

// Names lists the known activation names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
