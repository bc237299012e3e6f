package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// DropoutLayer is Keras's Dropout: in training it zeroes each input with
// probability rate and scales the kept ones by 1/(1-rate) (inverted
// dropout), so that nothing changes at inference, where it is the identity.
type DropoutLayer struct {
	base
	rate    float64
	seed    uint64
	hasSeed bool
	rng     *rand.PCG // made by Build; shared by every plan of the model
}

// DropoutOption configures Dropout: WithSeed, or WithName.
type DropoutOption interface {
	applyDropout(*DropoutLayer, *[]Option)
}

// applyDropout lets the common options (WithName) configure Dropout too.
func (o Option) applyDropout(_ *DropoutLayer, common *[]Option) { *common = append(*common, o) }

// SeedOption fixes a layer's own random stream; see WithSeed.
type SeedOption struct{ seed uint64 }

// WithSeed fixes the dropout masks of this layer whatever the model's seed.
// Default: the layer draws its seed from the model's seeded generator when
// the model is built, so the model's seed (Model.SetSeed) fixes the
// masks, as it fixes the initial weights.
func WithSeed(seed uint64) SeedOption { return SeedOption{seed} }

func (s SeedOption) applyDropout(l *DropoutLayer, _ *[]Option) { l.seed, l.hasSeed = s.seed, true }

// Dropout makes a dropout layer that drops a fraction rate in [0, 1) of its
// inputs during training (Keras's Dropout(rate)). It takes WithSeed and
// WithName.
func Dropout(rate float64, opts ...DropoutOption) *DropoutLayer {
	l := &DropoutLayer{rate: rate}
	var common []Option
	for _, o := range opts {
		if o != nil {
			o.applyDropout(l, &common)
		}
	}
	o, err := apply("Dropout", common)
	if err == nil && !(rate >= 0 && rate < 1) {
		err = fmt.Errorf("Dropout rate must be in [0, 1), got %v (it is the fraction of inputs dropped)", rate)
	}
	l.base = base{name: o.name, err: err}
	return l
}

func (l *DropoutLayer) ClassName() string { return "Dropout" }

// Rate is the fraction of inputs dropped in training.
func (l *DropoutLayer) Rate() float64 { return l.rate }

func (l *DropoutLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	seed := l.seed
	if !l.hasSeed {
		if rng == nil {
			return nil, buildError(l, "needs the model's random generator to draw its seed, or WithSeed")
		}
		seed = rng.Uint64()
	}
	// One generator per layer, made here, so that rebuilding the model
	// (a new seed) restarts the masks, and every plan (one per batch size)
	// continues the same stream.
	l.rng = dropoutSource(seed)
	return input, nil
}

// dropoutSource returns the source of tensor.NewStatefulRNG(seed), the
// generator every random layer draws from, itself rather than wrapped in a
// rand.Rand: autograd draws a PCG's masks in bulk, several times faster,
// with the same draws. The seeding stays tensor's, passed on as the state
// its MarshalBinary gives.
func dropoutSource(seed uint64) *rand.PCG {
	state, err := tensor.NewStatefulRNG(seed).MarshalBinary()
	src := new(rand.PCG)
	if err == nil {
		err = src.UnmarshalBinary(state)
	}
	if err != nil {
		panic("layers: Dropout's generator: " + err.Error())
	}
	return src
}

func (l *DropoutLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if l.rate == 0 {
		return x
	}
	return p.DropoutSource(x, l.rate, l.rng)
}

func (l *DropoutLayer) Config() map[string]any {
	var seed any
	if l.hasSeed {
		seed = l.seed
	}
	return map[string]any{"name": l.name, "rate": l.rate, "seed": seed, "noise_shape": nil}
}

func init() { Register("Dropout", dropoutFromConfig) }

func dropoutFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Dropout", config)
	r.Require("rate")
	rate := r.Float("rate", 0)
	opts := []DropoutOption{WithName(r.Name())}
	if v, ok := r.get("seed"); ok && v != nil {
		seed, ok := configInt(v)
		if !ok || seed < 0 {
			r.fail("%q must be null or a non-negative integer, got %s", "seed", configShow(v))
		}
		opts = append(opts, WithSeed(uint64(seed)))
	}
	r.Null("noise_shape")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Dropout(rate, opts...), nil
}
