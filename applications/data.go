package applications

import (
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// Input is MNIST's images x as model m takes them, m built: the uint8
// pixels themselves, scaled to [0, 1] batch by batch by Fit, Evaluate and
// Predict (goras.Data), for an input of (28, 28); the same pixels with a
// channel axis for (28, 28, 1); and a float32 copy reshaped for any other
// shape of 784 values, e.g. (784). An input MNIST's images do not fill is
// an error, without package prefix: `goras evaluate` and the studio say it
// as it is.
func Input(x *mnist.Images, m *goras.Model) (goras.Data, error) {
	in := m.InputShape()
	switch {
	case tensor.SameShape(x.Shape()[1:], in):
		return x, nil
	case tensor.SameShape(x.WithChannelAxis().Shape()[1:], in):
		return x.WithChannelAxis(), nil
	}
	f, err := x.Float32().Reshape(append([]int{x.N}, in...)...)
	if err != nil {
		return nil, fmt.Errorf("the model takes inputs of shape %s, which MNIST's 28×28 images cannot be reshaped to: %w",
			tensor.ShapeString(in, true), err)
	}
	return f, nil
}

// Data is a data set as model m trains and is evaluated on with loss: the
// images as Input gives them, the labels as class indices for
// SparseCategoricalCrossentropy and one-hot vectors, as many as m's output
// has classes, for any other loss. It is what `goras train` and
// `goras evaluate` feed a model, and the studio too.
func Data(d mnist.Dataset, m *goras.Model, loss losses.Loss) (x, y goras.Data, err error) {
	if x, err = Input(d.X, m); err != nil {
		return nil, nil, err
	}
	if _, sparse := loss.(losses.SparseCategoricalCrossentropy); sparse {
		return x, d.Y, nil
	}
	classes := 10
	if out := m.OutputShape(); len(out) > 0 {
		classes = out[len(out)-1]
	}
	y, err = mnist.ToCategorical(d.Y, classes)
	return x, y, err
}
