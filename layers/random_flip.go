package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// The modes of RandomFlip, Keras's strings.
const (
	FlipHorizontal            = "horizontal"              // left–right
	FlipVertical              = "vertical"                // top–bottom
	FlipHorizontalAndVertical = "horizontal_and_vertical" // each, independently; Keras's default
)

// RandomFlipLayer is Keras's RandomFlip: in training it mirrors each image
// left–right and/or top–bottom at random; at inference it is the identity.
type RandomFlipLayer struct {
	augment
	mode                 string
	horizontal, vertical bool
}

var _ Stateful = (*RandomFlipLayer)(nil)

// RandomFlip makes a layer that flips each training image, as
// keras.layers.RandomFlip(mode): with FlipHorizontal left–right with
// probability ½, with FlipVertical top–bottom with probability ½, and with
// FlipHorizontalAndVertical (Keras's default; "" means it too) both, each
// with its own draw, so that the four outcomes are equally likely. Keras 3
// draws once for both, so that its images come out unchanged or turned by
// 180°, never flipped one way only; goras flips the axes independently,
// as tf.keras did and as Keras's documentation says. Flips are wrong for
// digits (a mirrored 2 is no 2): do not use them on MNIST.
//
// It takes WithSeed (default: drawn from the model's seed) and WithName.
// Inputs are images (height, width, channels). In a Pipeline it joins the
// warp of the geometric augmentations around it when they use the default
// fill and interpolation (a flip reads whole pixels, so the result is the
// same).
func RandomFlip(mode string, opts ...AugmentOption) *RandomFlipLayer {
	if mode == "" {
		mode = FlipHorizontalAndVertical
	}
	l := &RandomFlipLayer{mode: mode}
	l.configureSeeded("RandomFlip", "WithSeed and WithName", opts)
	switch mode {
	case FlipHorizontal:
		l.horizontal = true
	case FlipVertical:
		l.vertical = true
	case FlipHorizontalAndVertical:
		l.horizontal, l.vertical = true, true
	default:
		if l.err == nil {
			l.err = fmt.Errorf("RandomFlip mode %q is not one of %q, %q, %q", mode, FlipHorizontal, FlipVertical, FlipHorizontalAndVertical)
		}
	}
	return l
}

// ClassName is Keras's class name, "RandomFlip".
func (l *RandomFlipLayer) ClassName() string { return "RandomFlip" }

// Mode is the flip mode, one of FlipHorizontal, FlipVertical and
// FlipHorizontalAndVertical.
func (l *RandomFlipLayer) Mode() string { return l.mode }

// Build checks that the input is images (height, width, channels), makes the
// layer's generator and returns the output shape.
func (l *RandomFlipLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	return l.build(l, input, rng)
}

// Call adds the layer's op to the plan.
func (l *RandomFlipLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	// A flip is an affine map that reads whole pixels: the warp copies
	// them exactly, whatever its fill and interpolation.
	return p.RandomAffine(x, l.warp, l)
}

// SampleAffine draws the flips of each image, horizontal first: the output
// pixel (x, y) reads the input at (w-1-x, y) when flipped left–right, at
// (x, h-1-y) when flipped top–bottom.
func (l *RandomFlipLayer) SampleAffine(m []float64, h, w int) {
	for i := 0; i < len(m); i += 6 {
		m[i], m[i+1], m[i+2] = 1, 0, 0
		m[i+3], m[i+4], m[i+5] = 0, 1, 0
		if l.horizontal && l.rng.Float64() < 0.5 {
			m[i], m[i+2] = -1, float64(w-1)
		}
		if l.vertical && l.rng.Float64() < 0.5 {
			m[i+4], m[i+5] = -1, float64(h-1)
		}
	}
}

// Config is Keras's get_config of the layer.
func (l *RandomFlipLayer) Config() map[string]any {
	c := l.seededConfig()
	c["mode"], c["data_format"] = l.mode, "channels_last"
	return c
}

func init() { Register("RandomFlip", randomFlipFromConfig) }

func randomFlipFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("RandomFlip", config)
	opts := append([]AugmentOption{WithName(r.Name())}, readSeed(r)...)
	mode := r.String("mode", FlipHorizontalAndVertical)
	readImageKeys(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return RandomFlip(mode, opts...), nil // FromConfig reports a bad mode
}
