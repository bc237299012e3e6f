package main

import (
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// The course's first network, applications.MLP: Flatten → Dense(50, relu)
// → Dense(10, softmax), mean squared error, SGD with learning rate 0.1,
// batch 100.
func init() {
	workloads["mlp"] = workload{build: buildMLP, input: []int{28, 28}, batch: 100}
}

func buildMLP(seed uint64) (*goras.Model, error) {
	m := goras.NewSequential(applications.MLP()...)
	m.SetSeed(seed)
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		return nil, err
	}
	err = m.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.MeanSquaredError{}, Metrics: []string{"accuracy"}})
	return m, err
}
