package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// This file holds what the geometric augmentation layers share
// (RandomRotation, RandomTranslation, RandomZoom): their options, factor
// ranges, seeding and config. Each layer draws one affine map per image in
// training and the autograd RandomAffine op resamples the batch; at
// inference they are the identity.

// Factor is the random range of an augmentation layer, as Keras takes it:
// a number f for the range [-|f|, |f|], or a pair [2]float64{lower, upper}
// (in either order). Write whole numbers as floats (1.0, not 1).
type Factor interface{ float64 | [2]float64 }

// factorRange is a Factor as given (pair or number) and as used (lo ≤ hi).
type factorRange struct {
	lo, hi float64
	pair   bool
}

func toRange[F Factor](f F) factorRange {
	switch v := any(f).(type) {
	case float64:
		return factorRange{lo: -math.Abs(v), hi: math.Abs(v)}
	case [2]float64:
		return factorRange{lo: min(v[0], v[1]), hi: max(v[0], v[1]), pair: true}
	}
	panic("unreachable")
}

// check says whether both ends are within [-1, 1], Keras's bounds for every
// factor of these layers.
func (r factorRange) check(class, key string) error {
	if !(r.lo >= -1 && r.hi <= 1) {
		return fmt.Errorf("%s %s must be a number or a pair of numbers in [-1, 1], got %s", class, key, configShow(r.config()))
	}
	return nil
}

// draw is a uniform draw from [lo, hi): exactly lo when lo = hi.
func (r factorRange) draw(rng interface{ Float64() float64 }) float64 {
	return r.lo + (r.hi-r.lo)*rng.Float64()
}

// config is the factor as it was given, for Config.
func (r factorRange) config() any {
	if r.pair {
		return []any{r.lo, r.hi}
	}
	return r.hi
}

// AugmentOption configures RandomRotation, RandomTranslation and RandomZoom:
// WithFillMode, WithFillValue, WithInterpolation, WithSeed, WithName, and
// for RandomZoom WithWidthFactor.
type AugmentOption interface {
	applyAugment(a *augment, common *[]Option)
}

// applyAugment lets the common options (WithName) configure augmentation.
func (o Option) applyAugment(_ *augment, common *[]Option) { *common = append(*common, o) }

// applyAugment makes WithSeed fix an augmentation layer's transforms.
func (s SeedOption) applyAugment(a *augment, _ *[]Option) { a.seed, a.hasSeed = s.seed, true }

type augmentOption func(*augment)

func (f augmentOption) applyAugment(a *augment, _ *[]Option) { f(a) }

// WithFillMode says how points outside the input are filled (Keras's
// fill_mode): "reflect" (d c b a | a b c d | d c b a), "constant"
// (k k k k | a b c d | k k k k, k = WithFillValue), "nearest"
// (a a a a | a b c d | d d d d) or "wrap" (a b c d | a b c d | a b c d).
// Default "reflect", as Keras; for dark-background digits such as MNIST,
// "constant" (black) is the natural choice.
func WithFillMode(mode string) AugmentOption {
	return augmentOption(func(a *augment) { a.fillMode = mode })
}

// WithFillValue is the value outside the input under fill mode "constant".
// Default 0.
func WithFillValue(v float64) AugmentOption {
	return augmentOption(func(a *augment) { a.fillValue = v })
}

// WithInterpolation chooses how pixels are read between grid points:
// "bilinear" or "nearest". Default "bilinear".
func WithInterpolation(method string) AugmentOption {
	return augmentOption(func(a *augment) { a.interpolation = method })
}

// WithWidthFactor gives RandomZoom its own range for the width. Default:
// none, the width zooms with the height (the aspect ratio is kept).
func WithWidthFactor[F Factor](f F) AugmentOption {
	r := toRange(f)
	return augmentOption(func(a *augment) { a.width = &r })
}

// augment is the part common to the augmentation layers.
type augment struct {
	base
	fillMode      string
	fillValue     float64
	interpolation string
	seed          uint64
	hasSeed       bool
	width         *factorRange // RandomZoom only

	warp autograd.WarpOptions
	rng  *tensor.RNG // made by Build; shared by every plan of the model
}

var fillModes = map[string]autograd.FillMode{
	"reflect":  autograd.FillReflect,
	"constant": autograd.FillConstant,
	"nearest":  autograd.FillNearest,
	"wrap":     autograd.FillWrap,
}

// configure applies the options over Keras's defaults and records the first
// problem as the layer's construction error.
func (a *augment) configure(class string, opts []AugmentOption, takesWidth bool) {
	a.fillMode, a.interpolation = "reflect", "bilinear"
	var common []Option
	for _, o := range opts {
		if o != nil {
			o.applyAugment(a, &common)
		}
	}
	o, err := apply(class, common)
	mode, okMode := fillModes[a.fillMode]
	switch {
	case err != nil:
	case !okMode:
		err = fmt.Errorf("%s fill mode %q is not one of reflect, constant, nearest, wrap", class, a.fillMode)
	case a.interpolation != "bilinear" && a.interpolation != "nearest":
		err = fmt.Errorf("%s interpolation %q is not one of bilinear, nearest", class, a.interpolation)
	case math.IsNaN(a.fillValue) || math.IsInf(a.fillValue, 0):
		err = fmt.Errorf("%s fill value must be finite, got %v", class, a.fillValue)
	case a.width != nil && !takesWidth:
		err = fmt.Errorf("%s does not take WithWidthFactor (RandomZoom does)", class)
	case a.width != nil:
		err = a.width.check(class, "width factor")
	}
	a.base = base{name: o.name, err: err}
	a.warp = autograd.WarpOptions{Mode: mode, FillValue: float32(a.fillValue), Nearest: a.interpolation == "nearest"}
}

// build checks that the input is one image per sample and makes the layer's
// generator from its seed, or from the model's generator.
func (a *augment) build(l Layer, input []int, rng *rand.Rand) ([]int, error) {
	if a.err != nil {
		return nil, buildError(l, "%v", a.err)
	}
	if len(input) != 3 {
		return nil, buildError(l, "expects images (height, width, channels) per sample, got (None, %s); for MNIST use layers.Input(28, 28, 1) or add layers.Reshape(28, 28, 1) before it", shapeList(input))
	}
	seed := a.seed
	if !a.hasSeed {
		if rng == nil {
			return nil, buildError(l, "needs the model's random generator to draw its seed, or WithSeed")
		}
		seed = rng.Uint64()
	}
	// One generator per layer, made here, so that rebuilding the model
	// restarts the transforms, and every plan (one per batch size) continues
	// the same stream.
	a.rng = tensor.NewStatefulRNG(seed)
	return input, nil
}

// config holds the keys every augmentation layer has.
func (a *augment) config() map[string]any {
	var seed any
	if a.hasSeed {
		seed = a.seed
	}
	return map[string]any{
		"name":          a.name,
		"fill_mode":     a.fillMode,
		"fill_value":    a.fillValue,
		"interpolation": a.interpolation,
		"seed":          seed,
		"data_format":   "channels_last",
	}
}

// augmentFromConfig reads the keys every augmentation layer has; factors
// reads the layer's own keys from the same reader.
func augmentFromConfig(class string, config map[string]any, factors func(r *ConfigReader)) ([]AugmentOption, error) {
	r := NewConfigReader(class, config)
	opts := []AugmentOption{
		WithName(r.Name()),
		WithFillMode(r.String("fill_mode", "reflect")),
		WithFillValue(r.Float("fill_value", 0)),
		WithInterpolation(r.String("interpolation", "bilinear")),
	}
	if v, ok := r.get("seed"); ok && v != nil {
		seed, ok := configInt(v)
		if !ok || seed < 0 {
			r.fail("%q must be null or a non-negative integer, got %s", "seed", configShow(v))
		}
		opts = append(opts, WithSeed(uint64(seed)))
	}
	r.Accept("data_format", "channels_last")
	factors(r)
	return opts, r.Err()
}

// factor reads a Keras factor: a number or a list of two.
func (r *ConfigReader) factor(key string) (factorRange, bool) {
	v, ok := r.get(key)
	if !ok || v == nil {
		return factorRange{}, false
	}
	if f, ok := configNumber(v); ok {
		return toRange(f), true
	}
	if list, ok := v.([]any); ok && len(list) == 2 {
		lo, ok1 := configNumber(list[0])
		hi, ok2 := configNumber(list[1])
		if ok1 && ok2 {
			return toRange([2]float64{lo, hi}), true
		}
	}
	r.fail("%q must be a number or a list of two numbers, got %s", key, configShow(v))
	return factorRange{}, false
}
