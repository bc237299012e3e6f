package initializers_test

import (
	"fmt"

	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/tensor"
)

func Example() {
	kernel := tensor.New(784, 128) // a Dense kernel (in, out)
	init, err := initializers.Get("glorot_uniform")
	if err != nil {
		panic(err)
	}
	init.Initialize(kernel, tensor.NewRNG(42))

	fanIn, fanOut := initializers.ComputeFans(kernel.Shape())
	fmt.Println(init.Name(), fanIn, fanOut)

	he := initializers.HeNormal()
	same, _ := initializers.FromConfig(he.Name(), he.Config())
	fmt.Println(same.Name(), same.Config())

	rn := initializers.RandomNormal(0, 0.05)
	fmt.Println(rn.Name(), rn.Config())
	// Output:
	// GlorotUniform 784 128
	// HeNormal map[seed:<nil>]
	// RandomNormal map[mean:0 seed:<nil> stddev:0.05]
}
