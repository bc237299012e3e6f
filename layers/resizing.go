package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// ResizingLayer is Keras's Resizing: it resamples each image to a fixed
// height and width, the same in training and inference. It has no weights.
type ResizingLayer struct {
	base
	height, width int
	interpolation string
	crop, pad     bool // keep the aspect ratio by cropping, by padding
	fillValue     float64
	resample      autograd.Resample // made by Build
}

// Resizing makes a layer that resizes images to height×width, as
// keras.layers.Resizing(height, width). Interpolation "bilinear" (the
// default) reads the output points at half-pixel centres and interpolates
// the two nearest rows and columns, without antialiasing, also when
// shrinking: the result of Keras's Resizing (which calls its backend's
// resize with antialias=False), tf.image.resize, jax.image.resize with
// antialias=False and PyTorch's interpolate(mode="bilinear",
// align_corners=False). "nearest" takes the input pixel under each output
// point's centre (PyTorch's "nearest-exact"). Keras's "bicubic",
// "lanczos3" and "lanczos5" are not implemented.
//
// By default the image is stretched to the output's aspect ratio;
// WithCropToAspectRatio(true) resizes the largest centred window of that
// ratio instead, WithPadToAspectRatio(true) pads the short side with
// WithFillValue (default 0; WithFillMode takes only "constant", as in
// Keras). It takes WithInterpolation, those three and WithName. Inputs are
// images (height, width, channels); the gradient goes back through the
// interpolation.
func Resizing(height, width int, opts ...AugmentOption) *ResizingLayer {
	l := &ResizingLayer{height: height, width: width}
	// The augmentation options are read from a scratch augment, over
	// Keras's defaults for Resizing.
	a := augment{fillMode: "constant", interpolation: "bilinear"}
	var common []Option
	for _, o := range opts {
		if v, ok := o.(aspectOption); ok {
			if v.key == "crop_to_aspect_ratio" {
				l.crop = v.on
			} else {
				l.pad = v.on
			}
		}
		if o != nil {
			o.applyAugment(&a, &common)
		}
	}
	o, err := apply("Resizing", common, "crop_to_aspect_ratio", "pad_to_aspect_ratio")
	l.interpolation, l.fillValue = a.interpolation, a.fillValue
	switch {
	case err != nil:
	case a.hasSeed || a.width != nil:
		err = fmt.Errorf("Resizing takes WithInterpolation, WithCropToAspectRatio, WithPadToAspectRatio, WithFillMode, WithFillValue and WithName, not WithSeed or WithWidthFactor")
	case l.interpolation != "bilinear" && l.interpolation != "nearest":
		err = fmt.Errorf("Resizing interpolation %q is not one of bilinear, nearest (goras does not implement Keras's bicubic, lanczos3 and lanczos5)", l.interpolation)
	case a.fillMode != "constant":
		err = fmt.Errorf("Resizing fill mode %q is not supported: only \"constant\", as in Keras", a.fillMode)
	case math.IsNaN(l.fillValue) || math.IsInf(l.fillValue, 0):
		err = fmt.Errorf("Resizing fill value must be finite, got %v", l.fillValue)
	case l.crop && l.pad:
		err = fmt.Errorf("Resizing takes only one of WithCropToAspectRatio(true) and WithPadToAspectRatio(true)")
	default:
		err = checkSize("Resizing", height, width)
	}
	l.base = base{name: o.name, err: err}
	return l
}

// ClassName is Keras's class name, "Resizing".
func (l *ResizingLayer) ClassName() string { return "Resizing" }

// Size is the output's height and width.
func (l *ResizingLayer) Size() (height, width int) { return l.height, l.width }

// Build checks that the input is images (height, width, channels), works out
// the window resampled and returns the output shape.
func (l *ResizingLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if err := imageInput(l, input); err != nil {
		return nil, err
	}
	h, w := input[0], input[1]
	switch {
	case l.crop:
		l.resample = cropWindow(h, w, l.height, l.width)
	case l.pad:
		l.resample = padWindow(h, w, l.height, l.width, l.fillValue)
	default:
		l.resample = autograd.Resample{Height: l.height, Width: l.width}
	}
	l.resample.Nearest = l.interpolation == "nearest"
	return []int{l.height, l.width, input[2]}, nil
}

// Call adds the layer's op to the plan.
func (l *ResizingLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.Resize(x, l.resample)
}

// Config is Keras's get_config of the layer.
func (l *ResizingLayer) Config() map[string]any {
	return map[string]any{
		"name":                 l.name,
		"height":               l.height,
		"width":                l.width,
		"interpolation":        l.interpolation,
		"crop_to_aspect_ratio": l.crop,
		"pad_to_aspect_ratio":  l.pad,
		"fill_mode":            "constant",
		"fill_value":           l.fillValue,
		"data_format":          "channels_last",
	}
}

func init() { Register("Resizing", resizingFromConfig) }

func resizingFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Resizing", config)
	r.Require("height", "width")
	h, w := r.Int("height", 0), r.Int("width", 0)
	opts := []AugmentOption{
		WithName(r.Name()),
		WithInterpolation(r.String("interpolation", "bilinear")),
		WithCropToAspectRatio(r.Bool("crop_to_aspect_ratio", false)),
		WithPadToAspectRatio(r.Bool("pad_to_aspect_ratio", false)),
		WithFillMode(r.String("fill_mode", "constant")),
		WithFillValue(r.Float("fill_value", 0)),
	}
	readImageKeys(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Resizing(h, w, opts...), nil
}
