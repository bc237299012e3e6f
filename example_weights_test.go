package goras_test

import (
	"context"
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// A rare class counts more with ClassWeight: here class 1 is one sample in
// four, and weighing it 3 times balances the loss. SampleWeight gives each
// sample its own weight; Evaluate then reports Σ wᵢ·lᵢ / N, Keras's number.
func ExampleClassWeight() {
	x, _ := tensor.FromSlice([]float32{0, 0.1, 0.2, 1}, 4, 1)
	y, _ := tensor.FromSlice([]float32{0, 0, 0, 1}, 4) // sparse labels
	m := goras.NewSequential(layers.Input(1), layers.Dense(2, layers.WithActivation("softmax")))
	m.SetSeed(1)
	opt, _ := optimizers.NewSGD(optimizers.LearningRate(0.5))
	if err := m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.SparseCategoricalCrossentropy{}}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := m.Fit(context.Background(), x, y, goras.Epochs(20), goras.Verbose(0),
		goras.ClassWeight(map[int]float64{0: 1, 1: 3})); err != nil {
		fmt.Println(err)
		return
	}
	plain, _ := m.Evaluate(x, y, goras.Verbose(0))
	weighted, _ := m.Evaluate(x, y, goras.Verbose(0), goras.SampleWeight([]float32{1, 1, 1, 3}))
	fmt.Printf("loss %.4f, weighted as in training %.4f\n", plain["loss"], weighted["loss"])
	// Output: loss 0.1814, weighted as in training 0.2460
}
