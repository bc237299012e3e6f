package main

import (
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// The bounty CNN: Conv 32 3×3 same + BN + ReLU, again, MaxPool 2, Conv 64
// 3×3 same + BN + ReLU, again, MaxPool 2, Flatten, Dense 256 + BN + ReLU,
// Dropout 0.4, Dense 10 (logits); cross-entropy from logits, Adam 1e-3,
// batch 128, no augmentation.
//
// It is written out here rather than taken from package applications: it is
// the workload bench/pytorch/bench.py builds layer for layer (two convs in
// the first block, biased convs, logits out, no augmentation), which is none
// of the zoo's networks (the "best" recipe has one conv at 28×28, bias-free
// convs, augmentation and softmax), and the comparison needs both sides to
// run the same network.
func init() {
	workloads["bounty"] = workload{build: buildBounty, input: []int{28, 28, 1}, batch: 128}
}

func buildBounty(seed uint64) (*goras.Model, error) {
	convBNReLU := func(filters int) []layers.Layer {
		return []layers.Layer{
			layers.Conv2D(filters, 3, layers.WithPadding("same")),
			layers.BatchNormalization(),
			layers.Activation("relu"),
		}
	}
	ls := []layers.Layer{layers.Input(28, 28, 1)}
	ls = append(ls, convBNReLU(32)...)
	ls = append(ls, convBNReLU(32)...)
	ls = append(ls, layers.MaxPooling2D())
	ls = append(ls, convBNReLU(64)...)
	ls = append(ls, convBNReLU(64)...)
	ls = append(ls, layers.MaxPooling2D(),
		layers.Flatten(),
		layers.Dense(256),
		layers.BatchNormalization(),
		layers.Activation("relu"),
		layers.Dropout(0.4),
		layers.Dense(10),
	)
	m := goras.NewSequential(ls...)
	m.SetSeed(seed)
	adam, err := optimizers.NewAdam(optimizers.LearningRate(1e-3))
	if err != nil {
		return nil, err
	}
	err = m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{FromLogits: true}, Metrics: []string{"accuracy"}})
	return m, err
}
