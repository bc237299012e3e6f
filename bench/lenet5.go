package main

import (
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// LeNet-5 as the course builds it: Conv(6, 5×5, same, relu) → MaxPool 2 →
// Conv(16, 5×5, valid, relu) → MaxPool 2 → Flatten → Dense(120, relu) →
// Dense(84, relu) → Dense(10, softmax); cross-entropy, Adam 1e-3, batch 128.
func init() {
	workloads["lenet5"] = workload{build: buildLeNet5, input: []int{28, 28, 1}, batch: 128}
}

func buildLeNet5(seed uint64) (*goras.Model, error) {
	m := goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Conv2D(6, 5, layers.WithPadding("same"), layers.WithActivation("relu")),
		layers.MaxPooling2D(),
		layers.Conv2D(16, 5, layers.WithActivation("relu")),
		layers.MaxPooling2D(),
		layers.Flatten(),
		layers.Dense(120, layers.WithActivation("relu")),
		layers.Dense(84, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	m.SetSeed(seed)
	adam, err := optimizers.NewAdam(optimizers.LearningRate(1e-3))
	if err != nil {
		return nil, err
	}
	err = m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
	return m, err
}
