package goras_test

import (
	"context"
	"fmt"
	"os"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// The course's first network: Summary needs no data, only layers.Input.
func ExampleModel_Summary() {
	model := goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	if err := model.Summary(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Model: "sequential"
	// ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
	// ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
	// ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
	// │ flatten (Flatten)               │ (None, 784)            │             0 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dense (Dense)                   │ (None, 50)             │        39,250 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dense_1 (Dense)                 │ (None, 10)             │           510 │
	// └─────────────────────────────────┴────────────────────────┴───────────────┘
	//  Total params: 39,760 (155.31 KB)
	//  Trainable params: 39,760 (155.31 KB)
	//  Non-trainable params: 0 (0.00 B)
}

// The course's flow, build → compile → fit → evaluate, on a small made-up
// problem: is the first of two numbers the larger one?
func ExampleModel_Fit() {
	rng := tensor.NewRNG(1)
	x, y := tensor.New(1000, 2), tensor.New(1000)
	for i := 0; i < 1000; i++ {
		a, b := rng.Float32(), rng.Float32()
		x.Set(a, i, 0)
		x.Set(b, i, 1)
		if a > b {
			y.Set(1, i)
		}
	}
	model := goras.NewSequential(
		layers.Input(2),
		layers.Dense(16, layers.WithActivation("relu")),
		layers.Dense(2, layers.WithActivation("softmax")),
	)
	model.SetSeed(1)
	adam, _ := optimizers.NewAdam(optimizers.LearningRate(0.01))
	model.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
	history, err := model.Fit(context.Background(), x, y, goras.Epochs(20), goras.ValidationSplit(0.2), goras.Verbose(0))
	if err != nil {
		fmt.Println(err)
		return
	}
	acc, _ := history.Last("val_accuracy")
	fmt.Println("epochs:", len(history.Epoch))
	fmt.Println("val_accuracy above 0.95:", acc > 0.95)
	// Output:
	// epochs: 20
	// val_accuracy above 0.95: true
}
