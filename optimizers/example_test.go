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
