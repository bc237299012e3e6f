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

// keras.layers.RandomFlip("horizontal") mirrors each training image
// left–right with probability ½: here four copies of the row (1 2 3), two
// of which come out mirrored with this seed. At inference the images pass
// unchanged.
func ExampleRandomFlip() {
	x := []float32{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}
	y, _ := runImageLayer(layers.RandomFlip(layers.FlipHorizontal, layers.WithSeed(5)), true, x, 1, 3, 1)
	fmt.Println(y)
	y, _ = runImageLayer(layers.RandomFlip(layers.FlipHorizontal, layers.WithSeed(5)), false, x, 1, 3, 1)
	fmt.Println(y)
	// Output:
	// [1 2 3 3 2 1 1 2 3 3 2 1]
	// [1 2 3 1 2 3 1 2 3 1 2 3]
}

// keras.layers.RandomCrop(2, 2) cuts a random 2×2 window out of each
// training image (here three copies of a 3×3 image); at inference it
// resizes the whole image (the largest centred square) to 2×2.
func ExampleRandomCrop() {
	img := []float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	x := append(append(append([]float32{}, img...), img...), img...)
	y, shape := runImageLayer(layers.RandomCrop(2, 2, layers.WithSeed(4)), true, x, 3, 3, 1)
	fmt.Println(shape, y)
	y, _ = runImageLayer(layers.RandomCrop(2, 2, layers.WithSeed(4)), false, img, 3, 3, 1)
	fmt.Println(y)
	// Output:
	// [2 2 1] [4 5 7 8 2 3 5 6 2 3 5 6]
	// [2 3.5 6.5 8]
}

// keras.layers.RandomContrast(0.5, value_range=(0, 1)) scales each
// training image about its mean (0.5 here) by a factor drawn from
// [0.5, 1.5], and clips to [0, 1].
func ExampleRandomContrast() {
	x := []float32{0.2, 0.4, 0.6, 0.8, 0.2, 0.4, 0.6, 0.8}
	y, _ := runImageLayer(layers.RandomContrast(0.5, layers.WithValueRange(0, 1), layers.WithSeed(2)), true, x, 1, 4, 1)
	fmt.Printf("%.3f\n", y)
	// Output:
	// [0.120 0.373 0.627 0.880 0.170 0.390 0.610 0.830]
}
