package layers_test

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// runImageLayer builds l for images of shape (h, w, c), runs it on a batch
// x in training mode (as in Fit) or not (as in Predict), and returns the
// output and its per-sample shape.
func runImageLayer(l layers.Layer, training bool, x []float32, h, w, c int) ([]float32, []int) {
	out, err := l.Build([]int{h, w, c}, tensor.NewRNG(1))
	if err != nil {
		fmt.Println(err)
		return nil, nil
	}
	p := autograd.NewPlan(len(x) / (h * w * c))
	in := p.Input(h, w, c)
	copy(in.Value.Data(), x)
	y := l.Call(p, in)
	p.Forward(training)
	return y.Value.Data(), out
}

// keras.layers.Resizing(1, 4) doubles the width of a row (1 2) with
// half-pixel centres, as tf.image.resize does: the new pixels sit a quarter
// of the way between the old ones.
func ExampleResizing() {
	y, shape := runImageLayer(layers.Resizing(1, 4), false, []float32{1, 2}, 1, 2, 1)
	fmt.Println(shape, y)
	y, _ = runImageLayer(layers.Resizing(1, 4, layers.WithInterpolation("nearest")), false, []float32{1, 2}, 1, 2, 1)
	fmt.Println(y)
	// Output:
	// [1 4 1] [1 1.25 1.75 2]
	// [1 1 2 2]
}

// keras.layers.CenterCrop(2, 2) keeps the middle of a 4×4 image.
func ExampleCenterCrop() {
	x := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
		13, 14, 15, 16,
	}
	y, shape := runImageLayer(layers.CenterCrop(2, 2), false, x, 4, 4, 1)
	fmt.Println(shape, y)
	// Output:
	// [2 2 1] [6 7 10 11]
}
