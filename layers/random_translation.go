package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// RandomTranslationLayer is Keras's RandomTranslation: in training it shifts
// each image by its own random fraction of its height and width; at
// inference it is the identity.
type RandomTranslationLayer struct {
	augment
	height, width factorRange
}

// RandomTranslation makes a layer that shifts each training image down by a
// fraction of its height drawn uniformly from heightFactor, and right by a
// fraction of its width drawn from widthFactor (negative: up, left). A
// factor is a number f for [-|f|, |f|] or a pair [2]float64{lower, upper},
// with both ends in [-1, 1]: for MNIST, 0.1 shifts by up to 2.8 pixels.
//
// It takes WithFillMode (default "reflect"; use "constant" for MNIST),
// WithFillValue (default 0), WithInterpolation (default "bilinear"), WithSeed
// (default: drawn from the model's seed) and WithName. Inputs are images
// (height, width, channels).
func RandomTranslation[H, W Factor](heightFactor H, widthFactor W, opts ...AugmentOption) *RandomTranslationLayer {
	return newRandomTranslation(toRange(heightFactor), toRange(widthFactor), opts)
}

func newRandomTranslation(height, width factorRange, opts []AugmentOption) *RandomTranslationLayer {
	l := &RandomTranslationLayer{height: height, width: width}
	l.configure("RandomTranslation", opts, false)
	if l.err == nil {
		l.err = l.height.check("RandomTranslation", "height factor")
	}
	if l.err == nil {
		l.err = l.width.check("RandomTranslation", "width factor")
	}
	return l
}

func (l *RandomTranslationLayer) ClassName() string { return "RandomTranslation" }

func (l *RandomTranslationLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	return l.build(l, input, rng)
}

func (l *RandomTranslationLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.RandomAffine(x, l.warp, l)
}

// SampleAffine draws one shift per image, the height's first: the output
// pixel (x, y) reads the input at (x - dx, y - dy), with dy a fraction of h
// and dx of w, as Keras's RandomTranslation.
func (l *RandomTranslationLayer) SampleAffine(m []float64, h, w int) {
	for i := 0; i < len(m); i += 6 {
		dy := l.height.draw(l.rng) * float64(h)
		dx := l.width.draw(l.rng) * float64(w)
		m[i], m[i+1], m[i+2] = 1, 0, -dx
		m[i+3], m[i+4], m[i+5] = 0, 1, -dy
	}
}

func (l *RandomTranslationLayer) Config() map[string]any {
	c := l.config()
	c["height_factor"], c["width_factor"] = l.height.config(), l.width.config()
	return c
}

func init() { Register("RandomTranslation", randomTranslationFromConfig) }

func randomTranslationFromConfig(config map[string]any) (Layer, error) {
	var hf, wf factorRange
	opts, err := augmentFromConfig("RandomTranslation", config, func(r *ConfigReader) {
		r.Require("height_factor", "width_factor")
		hf, _ = r.factor("height_factor")
		wf, _ = r.factor("width_factor")
	})
	if err != nil {
		return nil, err
	}
	return newRandomTranslation(hf, wf, opts), nil
}
