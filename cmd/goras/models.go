package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

// modelSpec is a network goras knows by name, with the recipe it is trained
// by when no flag says otherwise. To add a model, add one entry to models.
type modelSpec struct {
	// Name is what --model takes.
	Name string
	// Description is one line for --help.
	Description string
	// Layers returns fresh layers, starting with layers.Input. MNIST images
	// (28×28) are reshaped to the declared input shape, e.g. (28, 28, 1).
	Layers func() []layers.Layer
	// Loss is a losses.Get name.
	Loss string
	// Optimizer is an optimizers.Get name.
	Optimizer string
	// LearningRate is the rate of Optimizer; 0 keeps the optimizer's Keras
	// default. It applies only when this optimizer is used.
	LearningRate float64
	// Epochs and BatchSize are the default training length and step size.
	Epochs, BatchSize int
}

var models = map[string]modelSpec{
	"mlp": {
		Name:        "mlp",
		Description: "the course's first network: Flatten → Dense(50, relu) → Dense(10, softmax), 39,760 params",
		Layers: func() []layers.Layer {
			return []layers.Layer{
				layers.Input(28, 28),
				layers.Flatten(),
				layers.Dense(50, layers.WithActivation("relu")),
				layers.Dense(10, layers.WithActivation("softmax")),
			}
		},
		Loss:         "mean_squared_error",
		Optimizer:    "sgd",
		LearningRate: 0.1,
		Epochs:       10,
		BatchSize:    100,
	},
}

// defaultModel is the model goras trains when --model is not given.
const defaultModel = "mlp"

// modelNames lists the known model names, sorted.
func modelNames() []string {
	names := make([]string, 0, len(models))
	for n := range models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// lookupModel returns the named model's spec, or an error listing the
// known ones.
func lookupModel(name string) (modelSpec, error) {
	spec, ok := models[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return modelSpec{}, fmt.Errorf("unknown model %q; known models: %s", name, strings.Join(modelNames(), ", "))
	}
	return spec, nil
}

// newModel builds the named network with its initial weights drawn from seed.
func (s modelSpec) newModel(seed uint64) (*goras.Sequential, error) {
	m := goras.NewSequential(s.Layers()...)
	m.SetSeed(seed)
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("model %s: %w", s.Name, err)
	}
	return m, nil
}

// modelHelp is the --model flag's usage: each known model with its
// description.
func modelHelp() string {
	var b strings.Builder
	b.WriteString("the network, by `NAME`:")
	for _, n := range modelNames() {
		fmt.Fprintf(&b, "\n  %s: %s", n, models[n].Description)
	}
	return b.String()
}
