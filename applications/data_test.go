package applications

import (
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// fourDigits is 4 made-up 28×28 images labelled 3, 0, 9, 1.
func fourDigits() mnist.Dataset {
	im := &mnist.Images{N: 4, Rows: 28, Cols: 28, Pixels: make([]uint8, 4*28*28)}
	for i := range im.Pixels {
		im.Pixels[i] = uint8(i * 37 % 256)
	}
	return mnist.Dataset{X: im, Y: mnist.Labels{3, 0, 9, 1}}
}

func built(t *testing.T, ls ...layers.Layer) *goras.Model {
	t.Helper()
	m := goras.NewSequential(ls...)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

// The images reach Fit as uint8 pixels, with a channel axis for convnets,
// not as a float32 copy four times their size; other shapes of 784 values
// get a float32 copy of the same pixels, scaled.
func TestInput(t *testing.T) {
	d := fourDigits()
	for _, c := range []struct {
		name  string
		ls    []layers.Layer
		shape []int
		uint8 bool
	}{
		{"mlp", MLP(), []int{4, 28, 28}, true},
		{"lenet5", LeNet5(), []int{4, 28, 28, 1}, true},
		{"flat", []layers.Layer{layers.Input(784), layers.Dense(10)}, []int{4, 784}, false},
		{"columns", []layers.Layer{layers.Input(28, 28, 1, 1), layers.Flatten(), layers.Dense(10)}, []int{4, 28, 28, 1, 1}, false},
	} {
		x, err := Input(d.X, built(t, c.ls...))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, pixels := x.(*mnist.Images)
		if pixels != c.uint8 || !slices.Equal(x.Shape(), c.shape) {
			t.Errorf("%s: %T of shape %v, want shape %v (pixels kept: %v)", c.name, x, x.Shape(), c.shape, c.uint8)
		}
		if f, ok := x.(*tensor.Tensor); ok {
			// Image 2's pixel 100, scaled to [0, 1].
			if got, want := f.Data()[2*784+100], float32(d.X.Pixels[2*784+100])/255; got != want {
				t.Errorf("%s: value %v, want %v", c.name, got, want)
			}
		}
	}
	_, err := Input(d.X, built(t, layers.Input(32, 32), layers.Flatten(), layers.Dense(10)))
	if err == nil || !strings.HasPrefix(err.Error(), "the model takes inputs of shape (None, 32, 32), which MNIST's 28×28 images cannot be reshaped to") {
		t.Errorf("32×32 model: %v", err)
	}
}

// Labels are class indices for the sparse loss, one-hot rows of the
// output's width for any other.
func TestDataLabels(t *testing.T) {
	d := fourDigits()
	m := built(t, MLP()...)
	_, y, err := Data(d, m, losses.SparseCategoricalCrossentropy{})
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := y.(mnist.Labels); !ok || !slices.Equal(l, d.Y) {
		t.Errorf("sparse: y is %T %v, want the labels %v", y, y, d.Y)
	}
	for _, loss := range []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}} {
		_, y, err := Data(d, m, loss)
		if err != nil {
			t.Fatal(err)
		}
		oh, ok := y.(*tensor.Tensor)
		if !ok || !slices.Equal(oh.Shape(), []int{4, 10}) {
			t.Fatalf("%s: y is %T of shape %v, want one-hot (4, 10)", loss.Name(), y, y.Shape())
		}
		for i, label := range d.Y {
			for k := range 10 {
				want := float32(0)
				if k == int(label) {
					want = 1
				}
				if got := oh.At(i, k); got != want {
					t.Errorf("%s: y[%d][%d] = %v, want %v", loss.Name(), i, k, got, want)
				}
			}
		}
	}
	// A label beyond the model's classes cannot be one-hot encoded.
	small := built(t, layers.Input(28, 28), layers.Flatten(), layers.Dense(5, layers.WithActivation("softmax")))
	if _, _, err := Data(d, small, losses.CategoricalCrossentropy{}); err == nil {
		t.Error("label 9 for a model of 5 classes: no error")
	}
}
