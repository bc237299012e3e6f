package layers_test

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// predictOne builds l for per-sample inputs of shape sample and returns
// its output for one sample, as Predict would.
func predictOne(l layers.Layer, sample []int, values []float32) []float32 {
	if _, err := l.Build(sample, tensor.NewRNG(1)); err != nil {
		fmt.Println(err)
		return nil
	}
	p := autograd.NewInferencePlan(1)
	x := p.Input(sample...)
	copy(x.Value.Data(), values)
	y := l.Call(p, x)
	p.Forward(false)
	return y.Value.Data()
}

// Keras's ReLU layer with its three arguments, as
// keras.layers.ReLU(max_value=6, negative_slope=0.1, threshold=1).
func ExampleReLU() {
	x := []float32{-10, 0, 1, 2, 5, 10}
	fmt.Println(predictOne(layers.ReLU(layers.WithName("re_lu")), []int{6}, x))
	l := layers.ReLU(layers.WithMaxValue(6), layers.WithNegativeSlope(0.1), layers.WithThreshold(1))
	l.SetName("re_lu_1")
	fmt.Println(predictOne(l, []int{6}, x))
	fmt.Println(l.Config())
	// Output:
	// [0 0 1 2 5 10]
	// [-1.1 -0.1 0 2 5 6]
	// map[max_value:6 name:re_lu_1 negative_slope:0.1 threshold:1]
}

// Keras's PReLU with one learned slope per channel of Conv2D features, as
// keras.layers.PReLU(alpha_initializer=Constant(0.25), shared_axes=[1, 2]).
func ExamplePReLU() {
	l := layers.PReLU(layers.WithSharedAxes(1, 2), layers.WithAlphaInitializer(initializers.Constant(0.25)), layers.WithName("p_re_lu"))
	// One 1×2 image of 2 channels: (pixel 1: 4, -4), (pixel 2: -8, 8).
	fmt.Println(predictOne(l, []int{1, 2, 2}, []float32{4, -4, -8, 8}))
	fmt.Println(l.Params()[0].Name, l.Params()[0].Value.Shape())
	// Output:
	// [4 -1 -2 8]
	// p_re_lu/alpha [1 1 2]
}

// Keras's Softmax layer: over the last axis by default, as
// keras.layers.Softmax(), or over another axis of a sample, as
// keras.layers.Softmax(axis=1).
func ExampleSoftmax() {
	x := []float32{0, 0, 1, 1, 2, 0} // one sample of shape (3, 2)
	last := predictOne(layers.Softmax(layers.WithName("softmax")), []int{3, 2}, x)
	fmt.Printf("%.3f\n", last)
	columns := predictOne(layers.Softmax(layers.WithAxis(1), layers.WithName("softmax_1")), []int{3, 2}, x)
	fmt.Printf("%.3f\n", columns)
	// Output:
	// [0.500 0.500 0.500 0.500 0.881 0.119]
	// [0.090 0.212 0.245 0.576 0.665 0.212]
}

// Keras's LayerNormalization: each sample normalized over its last axis,
// then scaled by γ and shifted by β (ones and zeros at first), as
// keras.layers.LayerNormalization(epsilon=1e-3).
func ExampleLayerNormalization() {
	l := layers.LayerNormalization(layers.WithName("layer_normalization"))
	// Two positions of 4 features each, each normalized on its own: (x -
	// mean)/√(var + ε), so ±1.5/√(1.25 + 0.001) = ±1.341 for the first.
	y := predictOne(l, []int{2, 4}, []float32{1, 2, 3, 4, 10, 10, 30, 30})
	fmt.Printf("%.3f\n", y)
	for _, w := range l.Params() {
		fmt.Println(w.Name, w.Value.Shape())
	}
	// Output:
	// [-1.341 -0.447 0.447 1.341 -1.000 -1.000 1.000 1.000]
	// layer_normalization/gamma [4]
	// layer_normalization/beta [4]
}
