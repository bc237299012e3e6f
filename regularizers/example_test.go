package regularizers_test

import (
	"fmt"

	"github.com/goras-ml/goras/regularizers"
)

func ExampleL2() {
	w := []float32{1, -2, 0.5}
	r := regularizers.L2(0.01) // kernel_regularizer=L2(0.01)

	// Keras's penalty has no ½: 0.01 · (1 + 4 + 0.25).
	fmt.Printf("%s %v penalty %.4f\n", r.Name(), r.Config(), r.Penalty(w))

	grad := make([]float32, len(w)) // the loss's gradient, before the penalty's
	r.AddGradient(grad, w)          // += 2 · 0.01 · w
	fmt.Println(grad)
	// Output:
	// L2 map[l2:0.01] penalty 0.0525
	// [0.02 -0.04 0.01]
}
