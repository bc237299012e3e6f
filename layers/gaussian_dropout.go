package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// GaussianDropoutLayer is Keras's GaussianDropout: in training it
// multiplies every input by its own draw from N(1, rate/(1-rate)), a fresh
// draw each step; at inference it is the identity. The factor has the mean
// (1) and variance of inverted dropout's factor (0 or 1/(1-rate)), but is
// continuous, so no input is cut off entirely.
type GaussianDropoutLayer struct {
	base
	noiseSeed
	rate float64
}

var _ Stateful = (*GaussianDropoutLayer)(nil)

// GaussianDropout makes the layer keras.layers.GaussianDropout(rate,
// seed=None). rate, the drop probability whose dropout the noise imitates,
// must be in [0, 1) (Keras lets 1 through, for an infinite variance). It
// takes WithSeed (default: a seed drawn from the model's) and WithName.
func GaussianDropout(rate float64, opts ...NoiseOption) *GaussianDropoutLayer {
	l := &GaussianDropoutLayer{rate: rate}
	o, err := l.noiseOptions("GaussianDropout", opts)
	if err == nil && !(rate >= 0 && rate < 1) {
		err = fmt.Errorf("GaussianDropout rate must be in [0, 1), got %v (the noise's variance is rate/(1-rate))", rate)
	}
	l.base = base{name: o.name, err: err}
	return l
}

func (l *GaussianDropoutLayer) ClassName() string { return "GaussianDropout" }

// Rate is the drop probability the noise imitates: its variance is
// rate/(1-rate).
func (l *GaussianDropoutLayer) Rate() float64 { return l.rate }

func (l *GaussianDropoutLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if err := l.start(l, rng); err != nil {
		return nil, err
	}
	return input, nil
}

func (l *GaussianDropoutLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if l.rate == 0 {
		return x
	}
	return p.GaussianDropout(x, l.rate, l.rng.Rand)
}

func (l *GaussianDropoutLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "rate": l.rate, "seed": l.seedConfig()}
}

// RandomState implements Stateful.
func (l *GaussianDropoutLayer) RandomState() ([]byte, error) { return l.randomState(l) }

// SetRandomState implements Stateful.
func (l *GaussianDropoutLayer) SetRandomState(state []byte) error {
	return l.setRandomState(l, state)
}

func init() { Register("GaussianDropout", gaussianDropoutFromConfig) }

func gaussianDropoutFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("GaussianDropout", config)
	r.Require("rate")
	rate := r.Float("rate", 0)
	opts := readNoiseSeed(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return GaussianDropout(rate, opts...), nil
}
