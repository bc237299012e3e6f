package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// RandomCropLayer is Keras's RandomCrop: in training it cuts a random
// height×width window out of each image; at inference it resizes the
// largest centred window with the output's aspect ratio to height×width.
type RandomCropLayer struct {
	augment
	height, width int
	fits          bool              // the input has room for the window: random crops in training
	resample      autograd.Resample // the inference behaviour (and training's, unless fits)
}

var _ Stateful = (*RandomCropLayer)(nil)

// RandomCrop makes a layer with images of height×width out, as
// keras.layers.RandomCrop(height, width).
//
// In training every image gets its own window, placed uniformly at random
// among the positions where it fits (Keras 3 places one window for the
// whole batch; goras draws one per image, which varies the batch more at
// the same cost). A window as tall or as wide as the image is placed at
// random along the other axis (Keras 3 then always takes the centre).
//
// At inference, and in training when the image is smaller than the window,
// it does what Keras documents: it takes the largest centred window of the
// image with the aspect ratio height:width and resizes it (bilinear) to
// height×width. Mind that this rescales: a 28×28 digit cropped to 24×24 in
// training is seen whole, shrunk to 24×24, at inference. For a plain
// centre crop at inference, train on RandomCrop and predict with CenterCrop
// in its place.
//
// It takes WithSeed (default: drawn from the model's seed) and WithName.
// Inputs are images (height, width, channels).
func RandomCrop(height, width int, opts ...AugmentOption) *RandomCropLayer {
	l := &RandomCropLayer{height: height, width: width}
	l.configureSeeded("RandomCrop", "WithSeed and WithName", opts)
	if l.err == nil {
		l.err = checkSize("RandomCrop", height, width)
	}
	return l
}

// ClassName is Keras's class name, "RandomCrop".
func (l *RandomCropLayer) ClassName() string { return "RandomCrop" }

// Size is the output's height and width.
func (l *RandomCropLayer) Size() (height, width int) { return l.height, l.width }

// Build checks that the input is images (height, width, channels), makes the
// layer's generator, works out the inference window and returns the output
// shape.
func (l *RandomCropLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	if _, err := l.build(l, input, rng); err != nil {
		return nil, err
	}
	h, w := input[0], input[1]
	l.fits = h >= l.height && w >= l.width
	l.resample = cropWindow(h, w, l.height, l.width)
	return []int{l.height, l.width, input[2]}, nil
}

// Call adds the layer's op to the plan.
func (l *RandomCropLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if !l.fits {
		return p.Resize(x, l.resample)
	}
	return p.RandomCrop(x, l, l.resample)
}

// SampleCrop draws each image's window, its top row first, uniformly among
// the rows+1 and cols+1 places where it fits.
func (l *RandomCropLayer) SampleCrop(at []int, rows, cols int) {
	for i := 0; i < len(at); i += 2 {
		at[i] = l.rng.IntN(rows + 1)
		at[i+1] = l.rng.IntN(cols + 1)
	}
}

// Config is Keras's get_config of the layer.
func (l *RandomCropLayer) Config() map[string]any {
	c := l.seededConfig()
	c["height"], c["width"], c["data_format"] = l.height, l.width, "channels_last"
	return c
}

func init() { Register("RandomCrop", randomCropFromConfig) }

func randomCropFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("RandomCrop", config)
	r.Require("height", "width")
	opts := append([]AugmentOption{WithName(r.Name())}, readSeed(r)...)
	h, w := r.Int("height", 0), r.Int("width", 0)
	readImageKeys(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return RandomCrop(h, w, opts...), nil
}
