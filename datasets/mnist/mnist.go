package mnist

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/tensor"
)

// Images is a stack of N grey-scale images of Rows×Cols pixels, stored
// row-major in Pixels (image i is Pixels[i*Rows*Cols:(i+1)*Rows*Cols]),
// values 0 (background) to 255 (ink): Keras's x_train, shape (N, Rows, Cols).
type Images struct {
	N, Rows, Cols int
	Pixels        []uint8

	// channel makes Shape report a trailing channel axis, (N, Rows, Cols, 1),
	// as convolutional models expect; see WithChannelAxis.
	channel bool
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
	return &Images{N: hi - lo, Rows: im.Rows, Cols: im.Cols, Pixels: im.Pixels[lo*sz : hi*sz : hi*sz], channel: im.channel}
}

// WithChannelAxis returns a view of the images shaped (N, Rows, Cols, 1),
// Keras's np.expand_dims(x, -1), for models that start with
// layers.Input(28, 28, 1).
func (im *Images) WithChannelAxis() *Images {
	v := *im
	v.channel = true
	return &v
}

// Shape is (N, Rows, Cols), or (N, Rows, Cols, 1) after WithChannelAxis.
func (im *Images) Shape() []int {
	if im.channel {
		return []int{im.N, im.Rows, im.Cols, 1}
	}
	return []int{im.N, im.Rows, im.Cols}
}

// Gather writes images rows, scaled to [0, 1] as Float32 does, one after
// another into dst. It lets a model train straight from the uint8 pixels
// (goras.Data), so the data set takes a quarter of the memory of Float32's
// copy.
func (im *Images) Gather(dst []float32, rows []int) {
	sz := im.Rows * im.Cols
	if len(dst) != len(rows)*sz {
		panic(fmt.Sprintf("mnist: Gather of %d images into %d values", len(rows), len(dst)))
	}
	tensor.ScaleByteRows(dst, im.Pixels, sz, rows, 255)
}

// Finite says that the images hold no NaN or infinity (they are bytes), so
// that goras's Fit and Predict need not look for them (goras.FiniteData).
func (im *Images) Finite() bool { return true }

// ConcurrentGather says that Gather may run on several goroutines at once
// (it only reads the pixels), so that goras's Predict lets each worker
// gather its own samples (goras.ConcurrentData).
func (im *Images) ConcurrentGather() bool { return true }

// Image returns the pixels of image i (Rows*Cols bytes, row-major), sharing
// im's storage.
func (im *Images) Image(i int) []uint8 {
	sz := im.Rows * im.Cols
	return im.Pixels[i*sz : (i+1)*sz : (i+1)*sz]
}

// Shape is (N,): one class index per sample.
func (l Labels) Shape() []int { return []int{len(l)} }

// Gather writes the class indices of rows into dst as float32, for sparse
// categorical losses (goras.Data).
func (l Labels) Gather(dst []float32, rows []int) {
	if len(dst) != len(rows) {
		panic(fmt.Sprintf("mnist: Gather of %d labels into %d values", len(rows), len(dst)))
	}
	for i, r := range rows {
		dst[i] = float32(l[r])
	}
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
	// The tensor's bytes must fit an int, or allocating it panics: at
	// once on 32-bit (60000 labels × 40000 classes).
	if len(labels) > 0 && numClasses > math.MaxInt/4/len(labels) {
		return nil, fmt.Errorf("mnist: ToCategorical: %d labels × numClasses=%d values are more than one tensor can hold; pass the number of classes the model has", len(labels), numClasses)
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
