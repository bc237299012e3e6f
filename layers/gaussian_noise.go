package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// GaussianNoiseLayer is Keras's GaussianNoise: in training it adds noise
// drawn from N(0, stddev²) to every input, a fresh draw each step (a form
// of data augmentation for real-valued inputs); at inference it is the
// identity.
type GaussianNoiseLayer struct {
	base
	noiseSeed
	stddev float64
}

var _ Stateful = (*GaussianNoiseLayer)(nil)

// GaussianNoise makes the layer keras.layers.GaussianNoise(stddev,
// seed=None). stddev, the noise's standard deviation, must be in [0, 1], as
// Keras requires (scale the inputs to a smaller range for relatively
// stronger noise). It takes WithSeed (default: a seed drawn from the
// model's) and WithName.
func GaussianNoise(stddev float64, opts ...NoiseOption) *GaussianNoiseLayer {
	l := &GaussianNoiseLayer{stddev: stddev}
	o, err := l.noiseOptions("GaussianNoise", opts)
	if err == nil && !(stddev >= 0 && stddev <= 1) {
		err = fmt.Errorf("GaussianNoise stddev must be in [0, 1] as in Keras, got %v (it is the standard deviation of the noise)", stddev)
	}
	l.base = base{name: o.name, err: err}
	return l
}

func (l *GaussianNoiseLayer) ClassName() string { return "GaussianNoise" }

// Stddev is the standard deviation of the noise added in training.
func (l *GaussianNoiseLayer) Stddev() float64 { return l.stddev }

func (l *GaussianNoiseLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if err := l.start(l, rng); err != nil {
		return nil, err
	}
	return input, nil
}

func (l *GaussianNoiseLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if l.stddev == 0 {
		return x
	}
	return p.GaussianNoise(x, l.stddev, l.rng.Rand)
}

func (l *GaussianNoiseLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "stddev": l.stddev, "seed": l.seedConfig()}
}

// RandomState implements Stateful.
func (l *GaussianNoiseLayer) RandomState() ([]byte, error) { return l.randomState(l) }

// SetRandomState implements Stateful.
func (l *GaussianNoiseLayer) SetRandomState(state []byte) error { return l.setRandomState(l, state) }

func init() { Register("GaussianNoise", gaussianNoiseFromConfig) }

func gaussianNoiseFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("GaussianNoise", config)
	r.Require("stddev")
	stddev := r.Float("stddev", 0)
	opts := readNoiseSeed(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return GaussianNoise(stddev, opts...), nil
}
