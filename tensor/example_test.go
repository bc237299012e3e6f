package tensor_test

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// A batch of two 2×3 "images" with one channel, NHWC: views made by
// Reshape and Slice share the data, so a write through one shows in all.
func Example() {
	data := []float32{
		0, 1, 2,
		3, 4, 5,

		6, 7, 8,
		9, 10, 11,
	}
	x, err := tensor.FromSlice(data, 2, 2, 3, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Shape(), x.Len(), x.At(1, 0, 2, 0))

	flat, _ := x.Reshape(2, 6) // as a Flatten layer sees it
	second := flat.Slice(1, 2) // the second sample
	second.Set(-1, 0, 0)
	fmt.Println(second.Shape(), x.At(1, 0, 0, 0))

	// A shape that does not hold the data is an error, not a panic.
	_, err = x.Reshape(5, 2)
	fmt.Println(err != nil)
	// Output:
	// [2 2 3 1] 12 8
	// [1 6] -1
	// true
}

// ArgMax turns a model's probabilities, one row a sample, into classes.
func ExampleArgMax() {
	probs, _ := tensor.FromSlice([]float32{
		0.1, 0.7, 0.2,
		0.5, 0.3, 0.2,
	}, 2, 3)
	fmt.Println(tensor.ArgMax(probs))
	// Output: [1 0]
}

// The same seed gives the same weights, on every machine.
func ExampleNewRNG() {
	a, b := tensor.New(4), tensor.New(4)
	a.FillUniform(tensor.NewRNG(42), -1, 1)
	b.FillUniform(tensor.NewRNG(42), -1, 1)
	fmt.Printf("%.4f\n", a.Data())
	fmt.Println(fmt.Sprint(a.Data()) == fmt.Sprint(b.Data()))
	// Output:
	// [0.6509 -0.9144 0.5521 -0.3211]
	// true
}
