package layers

import (
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// RandomRotationLayer is Keras's RandomRotation: in training it turns each
// image by its own random angle about the image centre; at inference it is
// the identity.
type RandomRotationLayer struct {
	augment
	factor factorRange // in turns
}

// RandomRotation makes a layer that rotates each training image by a
// random angle drawn uniformly from factor, a fraction of a full turn
// (Keras's factor, a fraction of 2π): 0.1 draws from ±36°, [2]float64{-0.05,
// 0.1} from -18° to +36°. A positive angle turns the image counter-clockwise,
// as in Keras. Both ends must be in [-1, 1].
//
// It takes WithFillMode (default "reflect"; use "constant" for MNIST),
// WithFillValue (default 0), WithInterpolation (default "bilinear"), WithSeed
// (default: drawn from the model's seed) and WithName. Inputs are images
// (height, width, channels).
func RandomRotation[F Factor](factor F, opts ...AugmentOption) *RandomRotationLayer {
	l := &RandomRotationLayer{factor: toRange(factor)}
	l.configure("RandomRotation", opts, false)
	if l.err == nil {
		l.err = l.factor.check("RandomRotation", "factor")
	}
	return l
}

func (l *RandomRotationLayer) ClassName() string { return "RandomRotation" }

// Factor is the range of angles, in turns (lower, upper).
func (l *RandomRotationLayer) Factor() (lower, upper float64) { return l.factor.lo, l.factor.hi }

func (l *RandomRotationLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	return l.build(l, input, rng)
}

func (l *RandomRotationLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.RandomAffine(x, l.warp, l)
}

// SampleAffine draws one rotation per image, as Keras's RandomRotation
// does: the output pixel (x, y) reads the input at the point turned by the
// angle θ about the centre ((w-1)/2, (h-1)/2). In image coordinates (y
// down) that turns the picture counter-clockwise for θ > 0.
func (l *RandomRotationLayer) SampleAffine(m []float64, h, w int) {
	W, H := float64(w-1), float64(h-1)
	for i := 0; i < len(m); i += 6 {
		th := 2 * math.Pi * l.factor.draw(l.rng)
		c, s := math.Cos(th), math.Sin(th)
		m[i], m[i+1], m[i+2] = c, -s, (W-(c*W-s*H))/2
		m[i+3], m[i+4], m[i+5] = s, c, (H-(s*W+c*H))/2
	}
}

func (l *RandomRotationLayer) Config() map[string]any {
	c := l.config()
	c["factor"] = []any{l.factor.lo, l.factor.hi} // Keras keeps the pair
	return c
}

func init() { Register("RandomRotation", randomRotationFromConfig) }

func randomRotationFromConfig(config map[string]any) (Layer, error) {
	var f factorRange
	opts, err := augmentFromConfig("RandomRotation", config, func(r *ConfigReader) {
		r.Require("factor")
		f, _ = r.factor("factor")
	})
	if err != nil {
		return nil, err
	}
	return RandomRotation([2]float64{f.lo, f.hi}, opts...), nil
}
