package mixedprecision_test

import (
	"fmt"

	"github.com/goras-ml/goras/mixedprecision"
)

// The policy Keras's keras.mixed_precision.set_global_policy("mixed_bfloat16")
// sets: products in bfloat16, weights in float32.
func ExampleNewPolicy() {
	p, err := mixedprecision.NewPolicy("mixed_bfloat16")
	if err != nil {
		panic(err)
	}
	fmt.Println(p, p.ComputeDtype(), p.VariableDtype())
	fmt.Println(mixedprecision.GlobalPolicy().Name())
	// Output:
	// <DTypePolicy "mixed_bfloat16"> bfloat16 float32
	// float32
}
