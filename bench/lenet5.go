package main

import (
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// LeNet-5 as the course builds it, applications.LeNet5: Conv(6, 5×5, same,
// relu) → MaxPool 2 → Conv(16, 5×5, valid, relu) → MaxPool 2 → Flatten →
// Dense(120, relu) → Dense(84, relu) → Dense(10, softmax); cross-entropy,
// Adam 1e-3 at a constant rate (as bench/pytorch trains it, not the zoo's
// cosine decay), batch 128.
func init() {
	workloads["lenet5"] = workload{build: buildLeNet5, input: []int{28, 28, 1}, batch: 128}
}

func buildLeNet5(seed uint64) (*goras.Model, error) {
	m := goras.NewSequential(applications.LeNet5()...)
	m.SetSeed(seed)
	adam, err := optimizers.NewAdam(optimizers.LearningRate(1e-3))
	if err != nil {
		return nil, err
	}
	err = m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
	return m, err
}
