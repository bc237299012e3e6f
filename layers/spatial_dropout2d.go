package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// SpatialDropout2DLayer is Keras's SpatialDropout2D: dropout of whole
// feature maps. In training each channel of each image is dropped with
// probability rate, everywhere in the image at once, and the kept ones are
// scaled by 1/(1-rate); at inference it is the identity. Neighbouring
// pixels of a feature map are strongly correlated, so dropping single
// values (Dropout) barely regularizes a convolutional layer; dropping the
// map does.
type SpatialDropout2DLayer struct {
	base
	noiseSeed
	rate float64
}

var _ Stateful = (*SpatialDropout2DLayer)(nil)

// SpatialDropout2D makes the layer keras.layers.SpatialDropout2D(rate,
// data_format=None, seed=None) for channels-last images (H, W, C); rate in
// [0, 1) is the fraction of feature maps dropped. It takes WithSeed
// (default: a seed drawn from the model's) and WithName.
func SpatialDropout2D(rate float64, opts ...NoiseOption) *SpatialDropout2DLayer {
	l := &SpatialDropout2DLayer{rate: rate}
	o, err := l.noiseOptions("SpatialDropout2D", opts)
	if err == nil && !(rate >= 0 && rate < 1) {
		err = fmt.Errorf("SpatialDropout2D rate must be in [0, 1), got %v (it is the fraction of feature maps dropped)", rate)
	}
	l.base = base{name: o.name, err: err}
	return l
}

func (l *SpatialDropout2DLayer) ClassName() string { return "SpatialDropout2D" }

// Rate is the fraction of feature maps dropped in training.
func (l *SpatialDropout2DLayer) Rate() float64 { return l.rate }

func (l *SpatialDropout2DLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if len(input) != 3 {
		return nil, buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s); for other shapes use Dropout", shapeList(input))
	}
	if err := l.start(l, rng); err != nil {
		return nil, err
	}
	return input, nil
}

func (l *SpatialDropout2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if l.rate == 0 {
		return x
	}
	return p.SpatialDropout2D(x, l.rate, l.rng.Rand)
}

func (l *SpatialDropout2DLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "rate": l.rate, "seed": l.seedConfig(), "data_format": "channels_last"}
}

// RandomState implements Stateful.
func (l *SpatialDropout2DLayer) RandomState() ([]byte, error) { return l.randomState(l) }

// SetRandomState implements Stateful.
func (l *SpatialDropout2DLayer) SetRandomState(state []byte) error {
	return l.setRandomState(l, state)
}

func init() { Register("SpatialDropout2D", spatialDropout2DFromConfig) }

func spatialDropout2DFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("SpatialDropout2D", config)
	r.Require("rate")
	rate := r.Float("rate", 0)
	opts := readNoiseSeed(r)
	r.Accept("data_format", "channels_last")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return SpatialDropout2D(rate, opts...), nil
}
