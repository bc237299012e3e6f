package applications_test

import (
	"fmt"

	"github.com/goras-ml/goras/applications"
)

// The zoo by name, as `goras train --model NAME` finds it.
func Example() {
	spec, err := applications.Get("lenet5")
	if err != nil {
		panic(err)
	}
	m, err := spec.New(1)
	if err != nil {
		panic(err)
	}
	fmt.Println(spec.Name, m.CountParams(), spec.Loss, spec.Optimizer, spec.Epochs, spec.BatchSize)
	// Output: lenet5 61706 categorical_crossentropy adam 10 128
}
