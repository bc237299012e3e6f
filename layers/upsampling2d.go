package layers

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/goras-ml/goras/autograd"
)

// UpSampling2DLayer is Keras's UpSampling2D: it enlarges channels-last
// images by whole factors, (H, W, C) → (H·rows, W·columns, C), either by
// repeating each pixel ("nearest", Keras's default) or by bilinear
// interpolation with half-pixel centres ("bilinear", as Keras's image
// resize and PyTorch's interpolate with align_corners=False). It has no
// weights.
type UpSampling2DLayer struct {
	base
	size          [2]int // rows, columns
	interpolation string // "nearest" or "bilinear"
}

// UpSampling2DOption configures UpSampling2D: WithSize,
// WithUpSamplingInterpolation, or WithName.
type UpSampling2DOption interface {
	applyUpSampling2D(l *UpSampling2DLayer, common *[]Option) error
}

// applyUpSampling2D lets the common options (WithName) configure
// UpSampling2D too.
func (o Option) applyUpSampling2D(_ *UpSampling2DLayer, common *[]Option) error {
	*common = append(*common, o)
	return nil
}

type upSamplingOption func(*UpSampling2DLayer) error

func (f upSamplingOption) applyUpSampling2D(l *UpSampling2DLayer, _ *[]Option) error { return f(l) }

// WithSize sets UpSampling2D's factors (Keras's size): one value for both
// axes, two for (rows, columns). Default (2, 2).
func WithSize(size ...int) UpSampling2DOption {
	size = append([]int(nil), size...)
	return upSamplingOption(func(l *UpSampling2DLayer) error {
		switch len(size) {
		case 1:
			l.size = [2]int{size[0], size[0]}
		case 2:
			l.size = [2]int{size[0], size[1]}
		default:
			return fmt.Errorf("UpSampling2D size takes one factor or two (rows, columns), got %d: %v", len(size), size)
		}
		return nil
	})
}

// WithUpSamplingInterpolation chooses how UpSampling2D fills the new
// pixels (Keras's interpolation, in any case): "nearest" (default) repeats
// each pixel, "bilinear" interpolates between the four nearest. Keras's
// "bicubic", "lanczos3", "lanczos5" and "area" are not implemented.
func WithUpSamplingInterpolation(method string) UpSampling2DOption {
	return upSamplingOption(func(l *UpSampling2DLayer) error { l.interpolation = method; return nil })
}

// UpSampling2D makes the layer keras.layers.UpSampling2D(size=(2, 2),
// data_format=None, interpolation="nearest") for channels-last images. It
// takes WithSize, WithUpSamplingInterpolation and WithName.
func UpSampling2D(opts ...UpSampling2DOption) *UpSampling2DLayer {
	l := &UpSampling2DLayer{size: [2]int{2, 2}, interpolation: "nearest"}
	var (
		common []Option
		err    error
	)
	for _, o := range opts {
		if o != nil {
			if e := o.applyUpSampling2D(l, &common); err == nil {
				err = e
			}
		}
	}
	o, e := apply("UpSampling2D", common)
	if err == nil {
		err = e
	}
	l.interpolation = strings.ToLower(l.interpolation)
	if err == nil {
		err = l.check()
	}
	l.base = base{name: o.name, err: err}
	return l
}

// check validates the factors and the interpolation.
func (l *UpSampling2DLayer) check() error {
	if l.size[0] < 1 || l.size[1] < 1 {
		return fmt.Errorf("UpSampling2D size must be whole factors ≥ 1, got (%d, %d)", l.size[0], l.size[1])
	}
	if l.interpolation != "nearest" && l.interpolation != "bilinear" {
		return fmt.Errorf("UpSampling2D interpolation must be \"nearest\" or \"bilinear\", got %q (goras does not have Keras's bicubic, lanczos3, lanczos5 or area)", l.interpolation)
	}
	return nil
}

func (l *UpSampling2DLayer) ClassName() string { return "UpSampling2D" }

// Size is the factors (rows, columns).
func (l *UpSampling2DLayer) Size() [2]int { return l.size }

// Interpolation is "nearest" or "bilinear".
func (l *UpSampling2DLayer) Interpolation() string { return l.interpolation }

// maxUpSampled bounds the values of one upsampled image, so that a config
// with absurd factors is refused instead of exhausting memory.
const maxUpSampled = 1 << 31

func (l *UpSampling2DLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if len(input) != 3 {
		return nil, buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s)", shapeList(input))
	}
	out := []int{input[0] * l.size[0], input[1] * l.size[1], input[2]}
	if n := float64(input[0]) * float64(l.size[0]) * float64(input[1]) * float64(l.size[1]) * float64(input[2]); n > maxUpSampled {
		return nil, buildError(l, "enlarging (None, %s) by (%d, %d) makes %.0f values per image, more than the %d allowed; use smaller factors", shapeList(input), l.size[0], l.size[1], n, int64(maxUpSampled))
	}
	return out, nil
}

func (l *UpSampling2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.UpSampling2D(x, l.size[0], l.size[1], l.interpolation == "bilinear")
}

func (l *UpSampling2DLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "size": []any{l.size[0], l.size[1]}, "data_format": "channels_last", "interpolation": l.interpolation}
}

func init() { Register("UpSampling2D", upSampling2DFromConfig) }

func upSampling2DFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("UpSampling2D", config)
	opts := []UpSampling2DOption{
		WithName(r.Name()),
		WithSize(r.Ints("size", []int{2, 2}, 2)...),
		WithUpSamplingInterpolation(r.String("interpolation", "nearest")),
	}
	r.Accept("data_format", "channels_last")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return UpSampling2D(opts...), nil
}
