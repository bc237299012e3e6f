package layers_test

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// forwardOnce builds l for one sample of the given shape and returns its
// output for x, in training mode (as in Fit) or not (as in Predict).
func forwardOnce(l layers.Layer, training bool, x []float32, shape ...int) []float32 {
	if _, err := l.Build(shape, tensor.NewRNG(1)); err != nil {
		fmt.Println(err)
		return nil
	}
	p := autograd.NewPlan(1)
	in := p.Input(shape...)
	copy(in.Value.Data(), x)
	y := l.Call(p, in)
	p.Forward(training)
	return y.Value.Data()
}

// keras.layers.SpatialDropout2D(0.5) in training drops whole channels: each
// of the four pixels of this 2×2 image of 4 channels, all ones, comes out
// the same, with the dropped channels 0 and the kept ones 1/(1-0.5) = 2.
// At inference the image passes unchanged.
func ExampleSpatialDropout2D() {
	ones := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := forwardOnce(layers.SpatialDropout2D(0.5, layers.WithSeed(4)), true, ones, 2, 2, 4)
	for px := 0; px < 4; px++ {
		fmt.Println(y[px*4 : px*4+4])
	}
	fmt.Println(forwardOnce(layers.SpatialDropout2D(0.5), false, ones, 2, 2, 4)[:4])
	// Output:
	// [2 0 0 2]
	// [2 0 0 2]
	// [2 0 0 2]
	// [2 0 0 2]
	// [1 1 1 1]
}

// keras.layers.GaussianNoise(0.1) adds N(0, 0.1²) noise in training, a new
// draw at every step (the seed fixes the stream); at inference it adds
// nothing.
func ExampleGaussianNoise() {
	x := []float32{1, 2, 3, 4}
	fmt.Printf("%.3f\n", forwardOnce(layers.GaussianNoise(0.1, layers.WithSeed(1)), true, x, 4))
	fmt.Println(forwardOnce(layers.GaussianNoise(0.1), false, x, 4))
	// Output:
	// [1.081 1.870 2.882 3.878]
	// [1 2 3 4]
}

// keras.layers.GaussianDropout(0.5) multiplies every input by its own draw
// from N(1, 0.5/(1-0.5)) in training, a new draw at every step (the seed
// fixes the stream); at inference it passes its input unchanged.
func ExampleGaussianDropout() {
	x := []float32{1, 1, 1, 1}
	fmt.Printf("%.3f\n", forwardOnce(layers.GaussianDropout(0.5, layers.WithSeed(1)), true, x, 4))
	fmt.Println(forwardOnce(layers.GaussianDropout(0.5), false, x, 4))
	// Output:
	// [1.811 -0.302 -0.181 -0.220]
	// [1 1 1 1]
}

// keras.layers.UpSampling2D() doubles the rows and columns of an image by
// repeating each pixel; with interpolation="bilinear" the new pixels are
// weighted means of their neighbours, with half-pixel centres as Keras's
// image resize. Here a 1×2 image of one channel becomes 2×4.
func ExampleUpSampling2D() {
	x := []float32{0, 4}
	fmt.Println(forwardOnce(layers.UpSampling2D(), false, x, 1, 2, 1))
	fmt.Println(forwardOnce(layers.UpSampling2D(layers.WithUpSamplingInterpolation("bilinear")), false, x, 1, 2, 1))
	// Output:
	// [0 0 4 4 0 0 4 4]
	// [0 1 3 4 0 1 3 4]
}
