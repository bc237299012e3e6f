package layers_test

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// runOneSample builds l for one sample of the given shape, feeds it x and prints the
// output shape and values.
func runOneSample(l layers.Layer, x []float32, shape ...int) {
	out, err := l.Build(shape, tensor.NewRNG(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := autograd.NewInferencePlan(1)
	in := p.Input(shape...)
	copy(in.Value.Data(), x)
	y := l.Call(p, in)
	p.Forward(false)
	fmt.Println(out, y.Value.Data())
}

// A causal Conv1D, keras.layers.Conv1D(1, 2, padding="causal"), whose kernel
// of two ones adds each step to the one before it: output t reads no input
// after t, and the first step sees a zero before it.
func ExampleConv1D() {
	l := layers.Conv1D(1, 2, layers.WithPadding("causal"), layers.WithKernelInitializer(initializers.Ones()), layers.WithUseBias(false))
	l.SetName("conv1d")
	runOneSample(l, []float32{1, 2, 3, 4, 5}, 5, 1) // 5 steps of 1 channel
	fmt.Println(l.Params()[0].Name, l.Params()[0].Value.Shape())
	// Output:
	// [5 1] [1 3 5 7 9]
	// conv1d/kernel [2 1 1]
}

// keras.layers.MaxPooling1D(): the larger of each pair of steps, channel by
// channel; the seventh step, without a partner, is dropped ("valid").
func ExampleMaxPooling1D() {
	// 7 steps of 2 channels: the first channel counts up, the second down.
	x := []float32{1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7}
	runOneSample(layers.MaxPooling1D(), x, 7, 2)
	// Output:
	// [3 2] [2 -1 4 -3 6 -5]
}

// keras.layers.AveragePooling1D(3, strides=1, padding="same"): a moving
// average of three steps whose windows at the two ends average the two real
// steps they hold, as Keras does.
func ExampleAveragePooling1D() {
	runOneSample(layers.AveragePooling1D(3, layers.WithStrides(1), layers.WithPadding("same")), []float32{3, 6, 9, 0, 3}, 5, 1)
	// Output:
	// [5 1] [4.5 6 5 4 1.5]
}

// keras.layers.SeparableConv2D(1, 2): each channel of a 3×3 image is summed
// over 2×2 windows on its own (a depthwise kernel of ones), then the two
// channels are mixed by the pointwise kernel (1, 1, 2, 1), here 1 and 10,
// so the tens count the second channel.
func ExampleSeparableConv2D() {
	l := layers.SeparableConv2D(1, 2, layers.WithDepthwiseInitializer(initializers.Ones()), layers.WithName("separable_conv2d"))
	out, err := l.Build([]int{3, 3, 2}, tensor.NewRNG(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range l.Params() {
		fmt.Println(w.Name, w.Value.Shape())
	}
	copy(l.Params()[1].Value.Data(), []float32{1, 10})
	p := autograd.NewInferencePlan(1)
	x := p.Input(3, 3, 2)
	for i := range 9 { // channel 0: 0…8 row by row; channel 1: all ones
		x.Value.Data()[2*i], x.Value.Data()[2*i+1] = float32(i), 1
	}
	y := l.Call(p, x)
	p.Forward(false)
	fmt.Println(out, y.Value.Data())
	// Output:
	// separable_conv2d/depthwise_kernel [2 2 2 1]
	// separable_conv2d/pointwise_kernel [1 1 2 1]
	// separable_conv2d/bias [1]
	// [2 2 1] [48 52 60 64]
}
