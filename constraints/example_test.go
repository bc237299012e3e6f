package constraints_test

import (
	"fmt"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// A step of SGD followed by MaxNorm(2) on a Dense kernel (in 2, units 2),
// as Keras applies kernel_constraint after each optimizer update:
//
//	w  = [[1, 0.5], [2, 0.5]], g = [[-10, 0], [0, 0]], lr 0.1
//	w' = w - 0.1·g = [[2, 0.5], [2, 0.5]]
//	column 0: [2, 2], norm √8 = 2.828427 > 2: scaled by 2/(√8 + 1e-7), to [1.4142135, 1.4142135]
//	column 1: [0.5, 0.5], norm 0.7071068 ≤ 2: scaled by 0.7071068/(0.7071068 + 1e-7) = 0.99999986
func Example_afterAnUpdate() {
	w, _ := tensor.FromSlice([]float32{1, 0.5, 2, 0.5}, 2, 2)
	g, _ := tensor.FromSlice([]float32{-10, 0, 0, 0}, 2, 2)
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		panic(err)
	}
	if err := sgd.Build([]*tensor.Tensor{w}); err != nil {
		panic(err)
	}
	c := constraints.MaxNorm(2) // kernel_constraint=MaxNorm(max_value=2, axis=0)

	sgd.Apply([]*tensor.Tensor{w}, []*tensor.Tensor{g})
	fmt.Println("after the update:    ", w.Data())
	c.Apply(w.Data(), w.Shape())
	fmt.Printf("after the constraint: [%.7f %.8f %.7f %.8f]\n", w.Data()[0], w.Data()[1], w.Data()[2], w.Data()[3])
	fmt.Println(constraints.Serialize(c)["class_name"], c.Config())
	// Output:
	// after the update:     [2 0.5 2 0.5]
	// after the constraint: [1.4142135 0.49999994 1.4142135 0.49999994]
	// MaxNorm map[axis:0 max_value:2]
}
