package main

import (
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// The course's first network: Flatten → Dense(50, relu) → Dense(10,
// softmax), mean squared error, SGD with learning rate 0.1, batch 100.
func init() {
	workloads["mlp"] = workload{build: buildMLP, input: []int{28, 28}, batch: 100}
}

func buildMLP(seed uint64) (*goras.Model, error) {
	m := goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	m.SetSeed(seed)
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		return nil, err
	}
	err = m.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.MeanSquaredError{}, Metrics: []string{"accuracy"}})
	return m, err
}
