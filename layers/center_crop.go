package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// CenterCropLayer is Keras's CenterCrop: it keeps the central height×width
// part of each image, the same in training and inference. It has no
// weights.
type CenterCropLayer struct {
	base
	height, width int
	crop          [4]int             // rows and columns removed: top, bottom, left, right
	resample      *autograd.Resample // for images smaller than the output
}

// CenterCrop makes a layer that crops the centre of each image to
// height×width, as keras.layers.CenterCrop(height, width). When the rows
// (or columns) to remove are odd in number, the extra one goes from the
// bottom (right), as in Keras. An image smaller than the output in either
// direction is instead treated as Keras does: the largest centred window
// with the output's aspect ratio is resized (bilinear) to height×width. It
// takes only WithName. Inputs are images (height, width, channels).
func CenterCrop(height, width int, opts ...Option) *CenterCropLayer {
	o, err := apply("CenterCrop", opts)
	if err == nil {
		err = checkSize("CenterCrop", height, width)
	}
	return &CenterCropLayer{base: base{name: o.name, err: err}, height: height, width: width}
}

// ClassName is Keras's class name, "CenterCrop".
func (l *CenterCropLayer) ClassName() string { return "CenterCrop" }

// Size is the output's height and width.
func (l *CenterCropLayer) Size() (height, width int) { return l.height, l.width }

// Build checks that the input is images (height, width, channels), works out
// the rows and columns removed and returns the output shape.
func (l *CenterCropLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if err := imageInput(l, input); err != nil {
		return nil, err
	}
	h, w := input[0], input[1]
	l.resample = nil
	if h < l.height || w < l.width {
		r := cropWindow(h, w, l.height, l.width)
		l.resample = &r
	} else {
		top, left := (h-l.height)/2, (w-l.width)/2
		l.crop = [4]int{top, h - l.height - top, left, w - l.width - left}
	}
	return []int{l.height, l.width, input[2]}, nil
}

// Call adds the layer's op to the plan.
func (l *CenterCropLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if l.resample != nil {
		return p.Resize(x, *l.resample)
	}
	return p.Pad2D(x, -l.crop[0], -l.crop[1], -l.crop[2], -l.crop[3])
}

// Config is Keras's get_config of the layer.
func (l *CenterCropLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "height": l.height, "width": l.width, "data_format": "channels_last"}
}

func init() { Register("CenterCrop", centerCropFromConfig) }

func centerCropFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("CenterCrop", config)
	r.Require("height", "width")
	h, w := r.Int("height", 0), r.Int("width", 0)
	name := r.Name()
	readImageKeys(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return CenterCrop(h, w, WithName(name)), nil
}
