package mnist

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// Images is a stack of N grey-scale images of Rows×Cols pixels, stored
// row-major in Pixels (image i is Pixels[i*Rows*Cols:(i+1)*Rows*Cols]),
// values 0 (background) to 255 (ink): Keras's x_train, shape (N, Rows, Cols).
type Images struct {
	N, Rows, Cols int
	Pixels        []uint8
}

// Labels holds one class index (a digit 0..9 for MNIST) per image: Keras's
// y_train. Slice it with ordinary Go slicing.
type Labels []uint8

// Dataset pairs images with their labels; len(Y) == X.N.
type Dataset struct {
	X *Images
	Y Labels
}

// scale255[v] is float32(v)/255, the value Keras gets from
// x.astype("float32") / 255.
var scale255 = func() (t [256]float32) {
	for v := range t {
		t[v] = float32(v) / 255
	}
	return t
}()

// Float32 returns a new tensor of shape (N, Rows, Cols) holding the pixels
// divided by 255, in [0, 1]. Add the channel axis with Reshape(N, Rows, Cols, 1)
// for convolutional models.
func (im *Images) Float32() *tensor.Tensor {
	t := tensor.New(im.N, im.Rows, im.Cols)
	d := t.Data()
	for i, v := range im.Pixels[:len(d)] {
		d[i] = scale255[v]
	}
	return t
}

// Slice returns images [lo, hi) as a view sharing im's pixels. It panics if
// the range is out of bounds, like slicing.
func (im *Images) Slice(lo, hi int) *Images {
	if lo < 0 || hi < lo || hi > im.N {
		panic(fmt.Sprintf("mnist: Images.Slice(%d, %d) out of range for %d images", lo, hi, im.N))
	}
	sz := im.Rows * im.Cols
	return &Images{N: hi - lo, Rows: im.Rows, Cols: im.Cols, Pixels: im.Pixels[lo*sz : hi*sz : hi*sz]}
}

// Image returns the pixels of image i (Rows*Cols bytes, row-major), sharing
// im's storage.
func (im *Images) Image(i int) []uint8 {
	sz := im.Rows * im.Cols
	return im.Pixels[i*sz : (i+1)*sz : (i+1)*sz]
}

// Float32 returns the labels as a new tensor of shape (N,) holding the
// class indices as float32, as sparse categorical losses expect.
func (l Labels) Float32() *tensor.Tensor {
	t := tensor.New(len(l))
	d := t.Data()
	for i, v := range l {
		d[i] = float32(v)
	}
	return t
}

// ToCategorical one-hot encodes labels as a tensor of shape
// (len(labels), numClasses): row i is 1 in column labels[i] and 0 elsewhere,
// as keras.utils.to_categorical. numClasses ≤ 0 means max(labels)+1. A
// label ≥ numClasses is an error, as is inferring numClasses from no labels.
func ToCategorical(labels []uint8, numClasses int) (*tensor.Tensor, error) {
	if numClasses <= 0 {
		if len(labels) == 0 {
			return nil, fmt.Errorf("mnist: ToCategorical: cannot infer the number of classes from 0 labels; pass numClasses > 0")
		}
		mx := uint8(0)
		for _, v := range labels {
			mx = max(mx, v)
		}
		numClasses = int(mx) + 1
	}
	t := tensor.New(len(labels), numClasses)
	d := t.Data()
	for i, v := range labels {
		if int(v) >= numClasses {
			return nil, fmt.Errorf("mnist: ToCategorical: label %d at index %d is not below numClasses=%d", v, i, numClasses)
		}
		d[i*numClasses+int(v)] = 1
	}
	return t, nil
}
