package optimizers_test

import (
	"fmt"

	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// SGD with momentum on one weight vector: three steps with the same
// gradient. The velocity grows, v = 0.9v - 0.1g, and w += v.
func ExampleSGD() {
	opt, err := optimizers.NewSGD(optimizers.LearningRate(0.1), optimizers.Momentum(0.9))
	if err != nil {
		panic(err)
	}
	w, _ := tensor.FromSlice([]float32{1, -2}, 2)
	g, _ := tensor.FromSlice([]float32{0.5, -1}, 2)
	vars, grads := []*tensor.Tensor{w}, []*tensor.Tensor{g}
	if err := opt.Build(vars); err != nil {
		panic(err)
	}
	for range 3 {
		opt.Apply(vars, grads)
		fmt.Printf("step %d: w = [%.4f %.4f]\n", opt.Iterations(), w.Data()[0], w.Data()[1])
	}
	fmt.Println(opt.Name(), opt.Config()["momentum"])
	// Output:
	// step 1: w = [0.9500 -1.9000]
	// step 2: w = [0.8550 -1.7100]
	// step 3: w = [0.7195 -1.4390]
	// SGD 0.9
}

// Get returns an optimizer with Keras defaults from its compile() name.
func ExampleGet() {
	opt, err := optimizers.Get("adam")
	if err != nil {
		panic(err)
	}
	c := opt.Config()
	fmt.Println(opt.Name(), opt.LearningRate(), c["beta_1"], c["beta_2"], c["epsilon"])
	// Output:
	// Adam 0.001 0.9 0.999 1e-07
}

// Lion with moving averages of the weights: each step moves w by ±lr; at
// the end of training FinalizeVariableValues puts the averages in place,
// as Keras's fit does with use_ema=True.
func ExampleUseEMA() {
	opt, err := optimizers.NewLion(optimizers.LearningRate(0.1), optimizers.UseEMA(true), optimizers.EMAMomentum(0.5))
	if err != nil {
		panic(err)
	}
	w, _ := tensor.FromSlice([]float32{1}, 1)
	g, _ := tensor.FromSlice([]float32{0.5}, 1)
	vars, grads := []*tensor.Tensor{w}, []*tensor.Tensor{g}
	if err := opt.Build(vars); err != nil {
		panic(err)
	}
	for range 3 {
		opt.Apply(vars, grads)
		fmt.Printf("w = %.4f\n", w.Data()[0])
	}
	// The average: 0.9 after step 1, (0.9+0.8)/2, (0.85+0.7)/2.
	opt.FinalizeVariableValues(vars) // a training loop: if f, ok := opt.(optimizers.Finalizer); ok { ... }
	fmt.Printf("final w = %.4f\n", w.Data()[0])
	// Output:
	// w = 0.9000
	// w = 0.8000
	// w = 0.7000
	// final w = 0.7750
}
