package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// RandomZoomLayer is Keras's RandomZoom: in training it scales each image
// about its centre by its own random factor; at inference it is the
// identity.
type RandomZoomLayer struct {
	augment
	height factorRange
}

// RandomZoom makes a layer that zooms each training image about its centre.
// Mind Keras's sign: a positive factor zooms OUT (the digit gets smaller),
// a negative one zooms IN. The image is read over 1+z times its height,
// with z drawn uniformly from heightFactor: 0.1 draws zooms from 0.9 to 1.1;
// 1.0 can halve the picture; -0.5 can double it. A factor is a number f
// for [-|f|, |f|] or a pair [2]float64{lower, upper}, with both ends in
// [-1, 1].
//
// The width zooms with the height (the aspect ratio is kept) unless
// WithWidthFactor gives it its own range. It also takes WithFillMode
// (default "reflect"; use "constant" for MNIST), WithFillValue (default 0),
// WithInterpolation (default "bilinear"), WithSeed (default: drawn from the
// model's seed) and WithName. Inputs are images (height, width, channels).
func RandomZoom[F Factor](heightFactor F, opts ...AugmentOption) *RandomZoomLayer {
	return newRandomZoom(toRange(heightFactor), opts)
}

func newRandomZoom(height factorRange, opts []AugmentOption) *RandomZoomLayer {
	l := &RandomZoomLayer{height: height}
	l.configure("RandomZoom", opts, true)
	if l.err == nil {
		l.err = l.height.check("RandomZoom", "height factor")
	}
	return l
}

func (l *RandomZoomLayer) ClassName() string { return "RandomZoom" }

func (l *RandomZoomLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	return l.build(l, input, rng)
}

func (l *RandomZoomLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.RandomAffine(x, l.warp, l)
}

// SampleAffine draws one zoom per image, the height's first: the output
// pixel (x, y) reads the input at the centre plus (1+z) times its offset
// from the centre ((w-1)/2, (h-1)/2), as Keras's RandomZoom.
func (l *RandomZoomLayer) SampleAffine(m []float64, h, w int) {
	W, H := float64(w-1)/2, float64(h-1)/2
	for i := 0; i < len(m); i += 6 {
		zy := 1 + l.height.draw(l.rng)
		zx := zy
		if l.width != nil {
			zx = 1 + l.width.draw(l.rng)
		}
		m[i], m[i+1], m[i+2] = zx, 0, W*(1-zx)
		m[i+3], m[i+4], m[i+5] = 0, zy, H*(1-zy)
	}
}

func (l *RandomZoomLayer) Config() map[string]any {
	c := l.config()
	c["height_factor"] = l.height.config()
	c["width_factor"] = nil
	if l.width != nil {
		c["width_factor"] = l.width.config()
	}
	return c
}

func init() { Register("RandomZoom", randomZoomFromConfig) }

func randomZoomFromConfig(config map[string]any) (Layer, error) {
	var hf, wf factorRange
	var hasWidth bool
	opts, err := augmentFromConfig("RandomZoom", config, func(r *ConfigReader) {
		r.Require("height_factor")
		hf, _ = r.factor("height_factor")
		wf, hasWidth = r.factor("width_factor")
	})
	if err != nil {
		return nil, err
	}
	if hasWidth {
		opts = append(opts, augmentOption(func(a *augment) { a.width = &wf }))
	}
	return newRandomZoom(hf, opts), nil
}
