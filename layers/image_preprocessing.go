package layers

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/autograd"
)

// This file holds what Keras's image preprocessing layers RandomFlip,
// RandomCrop, RandomContrast, Resizing and CenterCrop share: their extra
// options, the option checks of the random ones, Keras's aspect-ratio
// windows and config reading.

// WithValueRange gives RandomContrast the range of its input's values
// (Keras's value_range), to which it clips its output: (0, 255) by default,
// as Keras; pass (0, 1) for pixels scaled to [0, 1].
func WithValueRange(lo, hi float64) AugmentOption { return valueRangeOption{lo, hi} }

// WithCropToAspectRatio makes Resizing keep the aspect ratio by cropping
// (Keras's crop_to_aspect_ratio): it resizes the largest centred window of
// the image with the output's aspect ratio. Default false: the image is
// stretched to the output's size.
func WithCropToAspectRatio(on bool) AugmentOption {
	return aspectOption{key: "crop_to_aspect_ratio", on: on}
}

// WithPadToAspectRatio makes Resizing keep the aspect ratio by padding
// (Keras's pad_to_aspect_ratio): the short side of the image gets the same
// number of rows (or columns) of WithFillValue on both sides before the
// resize. Default false.
func WithPadToAspectRatio(on bool) AugmentOption {
	return aspectOption{key: "pad_to_aspect_ratio", on: on}
}

// valueRangeOption and aspectOption are read by the layers that take them
// (RandomContrast, Resizing); for every other layer they mark their Keras
// key as given, so that apply names them in its error.
type (
	valueRangeOption [2]float64
	aspectOption     struct {
		key string
		on  bool
	}
)

func (valueRangeOption) applyAugment(_ *augment, common *[]Option) {
	*common = append(*common, func(o *options) { o.mark("value_range") })
}

func (a aspectOption) applyAugment(_ *augment, common *[]Option) {
	*common = append(*common, func(o *options) { o.mark(a.key) })
}

// configureSeeded applies the options of a random preprocessing layer that
// takes only WithSeed, WithName and the options whose Keras keys are in
// allowed (takes lists them all, for the error), and records the first
// problem as the layer's construction error.
func (a *augment) configureSeeded(class, takes string, opts []AugmentOption, allowed ...string) {
	// Unset marks: an option that sets one of these is refused.
	a.fillValue = math.NaN()
	var common []Option
	for _, o := range opts {
		if o != nil {
			o.applyAugment(a, &common)
		}
	}
	o, err := apply(class, common, allowed...)
	given := ""
	switch {
	case a.fillMode != "":
		given = "WithFillMode"
	case a.interpolation != "":
		given = "WithInterpolation"
	case !math.IsNaN(a.fillValue):
		given = "WithFillValue"
	case a.width != nil:
		given = "WithWidthFactor"
	}
	if err == nil && given != "" {
		err = fmt.Errorf("%s does not take %s (it takes %s)", class, given, takes)
	}
	a.fillMode, a.interpolation, a.fillValue, a.width = "", "", 0, nil
	a.base = base{name: o.name, err: err}
}

// seededConfig is the config every random preprocessing layer has.
func (a *augment) seededConfig() map[string]any {
	var seed any
	if a.hasSeed {
		seed = a.seed
	}
	return map[string]any{"name": a.name, "seed": seed}
}

// cropWindow is Keras's crop_to_aspect_ratio (and smart_resize): the
// largest centred window of an h×w image with the aspect ratio of oh×ow,
// in Keras's integer arithmetic.
func cropWindow(h, w, oh, ow int) autograd.Resample {
	rows := max(min(h, w*oh/ow), 1)
	cols := max(min(w, h*ow/oh), 1)
	return autograd.Resample{Height: oh, Width: ow, Top: (h - rows) / 2, Left: (w - cols) / 2, Rows: rows, Cols: cols}
}

// padWindow is Keras's pad_to_aspect_ratio: the image with as many rows of
// fill above as below it (or columns left and right), so that the whole
// has about the aspect ratio of oh×ow.
func padWindow(h, w, oh, ow int, fill float64) autograd.Resample {
	r := autograd.Resample{Height: oh, Width: ow, Fill: float32(fill)}
	if top := (max(h, w*oh/ow) - h) / 2; top > 0 {
		r.Top, r.Rows = -top, h+2*top
	} else if left := (max(w, h*ow/oh) - w) / 2; left > 0 {
		r.Left, r.Cols = -left, w+2*left
	}
	return r
}

// imageInput checks that a per-sample input shape is one image.
func imageInput(l Layer, input []int) error {
	if len(input) != 3 {
		return buildError(l, "expects images (height, width, channels) per sample, got (None, %s); for MNIST use layers.Input(28, 28, 1) or add layers.Reshape(28, 28, 1) before it", shapeList(input))
	}
	return nil
}

// checkSize is the construction check of a layer's output size.
func checkSize(class string, height, width int) error {
	if height <= 0 || width <= 0 {
		return fmt.Errorf("%s needs a positive height and width, got %d and %d", class, height, width)
	}
	return nil
}

// readSeed reads Keras's "seed": null, or a non-negative integer.
func readSeed(r *ConfigReader) []AugmentOption {
	v, ok := r.get("seed")
	if !ok || v == nil {
		return nil
	}
	seed, ok := configInt(v)
	if !ok || seed < 0 {
		r.fail("%q must be null or a non-negative integer, got %s", "seed", configShow(v))
		return nil
	}
	return []AugmentOption{WithSeed(uint64(seed))}
}

// readImageKeys reads the keys Keras's image preprocessing layers may
// carry that goras takes at one value: data_format channels_last (or
// null, Keras's "the default"), and no bounding_box_format.
func readImageKeys(r *ConfigReader) {
	if v, ok := r.get("data_format"); ok && v != nil && v != "channels_last" {
		r.fail("%q = %s is not supported by goras (only \"channels_last\")", "data_format", configShow(v))
	}
	r.Null("bounding_box_format")
}
