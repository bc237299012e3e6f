package activations_test

import (
	"fmt"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
)

// A layer's activation="relu" is looked up by name and added to the layer's
// plan after its own op; here it is applied to a batch of one row.
func ExampleGet() {
	relu, err := activations.Get("ReLU")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := autograd.NewInferencePlan(1)
	x := p.Input(4)
	copy(x.Value.Data(), []float32{-2, -0.5, 0, 3})
	y := relu.Apply(p, x)
	p.Forward(false)
	fmt.Println(relu.Name(), y.Value.Data())

	// The empty name is Keras's activation=None: the identity, no op added.
	linear, _ := activations.Get("")
	fmt.Println(linear.Name(), linear.Apply(p, x) == x)

	_, err = activations.Get("rellu")
	fmt.Println(err != nil)
	// Output:
	// relu [0 0 0 3]
	// linear true
	// true
}

// Softmax works row by row: each row of the batch sums to one.
func ExampleActivation_Apply() {
	softmax, _ := activations.Get("softmax")
	p := autograd.NewInferencePlan(2)
	x := p.Input(3)
	copy(x.Value.Data(), []float32{0, 0, 0, 1, 2, 3})
	y := softmax.Apply(p, x)
	p.Forward(false)
	for _, v := range y.Value.Data() {
		fmt.Printf("%.4f ", v)
	}
	fmt.Println()
	// Output: 0.3333 0.3333 0.3333 0.0900 0.2447 0.6652
}

func ExampleNames() {
	fmt.Println(activations.Names())
	// Output: [elu gelu leaky_relu linear log_softmax relu selu sigmoid silu softmax softplus swish tanh]
}
