package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// RandomContrastLayer is Keras's RandomContrast: in training it scales each
// channel of each image about the channel's mean by a random factor, and
// clips to the value range; at inference it is the identity.
type RandomContrastLayer struct {
	augment
	lower, upper float64    // the factor is drawn from [1-lower, 1+upper]
	valueRange   [2]float64 // the output is clipped to it in training
}

var _ Stateful = (*RandomContrastLayer)(nil)

// RandomContrast makes a layer that changes the contrast of each training
// image, as keras.layers.RandomContrast(factor): a factor f is drawn per
// image uniformly from [1-lower, 1+upper], and every value x of a channel
// becomes (x - m)·f + m, with m the channel's mean over the image, clipped
// to the value range. factor is a number for lower = upper = factor, e.g.
// 0.2 draws f from [0.8, 1.2], or a pair [2]float64{lower, upper} (in
// either order, as Keras sorts it); each must be in [0, 1].
//
// Keras 3.6 and later, contrary to its documentation, turn a single number
// f into the pair (0, f), which only raises the contrast; goras follows the
// documentation, and writes the pair to the config, which Keras reads back
// as the same range.
//
// It takes WithValueRange (default (0, 255), Keras's; pass (0, 1) for
// pixels in [0, 1], or the clip will let values above 1 through and cut
// those below 0), WithSeed (default: drawn from the model's seed) and
// WithName. Inputs are images (height, width, channels).
func RandomContrast[F Factor](factor F, opts ...AugmentOption) *RandomContrastLayer {
	l := &RandomContrastLayer{valueRange: [2]float64{0, 255}}
	switch v := any(factor).(type) {
	case float64:
		l.lower, l.upper = v, v
	case [2]float64:
		l.lower, l.upper = min(v[0], v[1]), max(v[0], v[1])
	}
	return l.configure(opts)
}

func (l *RandomContrastLayer) configure(opts []AugmentOption) *RandomContrastLayer {
	for _, o := range opts {
		if v, ok := o.(valueRangeOption); ok {
			l.valueRange = v
		}
	}
	l.configureSeeded("RandomContrast", "WithValueRange, WithSeed and WithName", opts, "value_range")
	lo, hi := l.valueRange[0], l.valueRange[1]
	switch {
	case l.err != nil:
	case !(l.lower >= 0 && l.upper <= 1):
		l.err = fmt.Errorf("RandomContrast factor must be a number or a pair of numbers in [0, 1], got %s", configShow(l.factorConfig()))
	case math.IsInf(lo, 0) || math.IsInf(hi, 0) || !(lo < hi):
		l.err = fmt.Errorf("RandomContrast value range must be two finite numbers, low < high, got (%v, %v)", lo, hi)
	}
	return l
}

// ClassName is Keras's class name, "RandomContrast".
func (l *RandomContrastLayer) ClassName() string { return "RandomContrast" }

// Factor is the range of the contrast factor: it is drawn from
// [1-lower, 1+upper].
func (l *RandomContrastLayer) Factor() (lower, upper float64) { return l.lower, l.upper }

// Build checks that the input is images (height, width, channels), makes the
// layer's generator and returns the output shape.
func (l *RandomContrastLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	return l.build(l, input, rng)
}

// Call adds the layer's op to the plan.
func (l *RandomContrastLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.RandomContrast(x, l.valueRange[0], l.valueRange[1], l)
}

// SampleContrast draws one factor per image, uniformly from
// [1-lower, 1+upper).
func (l *RandomContrastLayer) SampleContrast(f []float64) {
	for i := range f {
		f[i] = 1 - l.lower + (l.lower+l.upper)*l.rng.Float64()
	}
}

func (l *RandomContrastLayer) factorConfig() []any { return []any{l.lower, l.upper} }

// Config is Keras's get_config of the layer.
func (l *RandomContrastLayer) Config() map[string]any {
	c := l.seededConfig()
	c["factor"] = l.factorConfig() // the pair, which Keras reads as goras means it
	c["value_range"] = []any{l.valueRange[0], l.valueRange[1]}
	return c
}

func init() { Register("RandomContrast", randomContrastFromConfig) }

func randomContrastFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("RandomContrast", config)
	r.Require("factor")
	opts := append([]AugmentOption{WithName(r.Name())}, readSeed(r)...)
	var f [2]float64
	if v, ok := r.get("factor"); ok {
		if x, ok := configNumber(v); ok {
			f = [2]float64{x, x}
		} else if lo, hi, ok := configPair(v); ok {
			f = [2]float64{lo, hi}
		} else {
			r.fail("%q must be a number or a list of two numbers, got %s", "factor", configShow(v))
		}
	}
	if v, ok := r.get("value_range"); ok {
		lo, hi, ok := configPair(v)
		if !ok {
			r.fail("%q must be a list of two numbers [low, high], got %s", "value_range", configShow(v))
		}
		opts = append(opts, WithValueRange(lo, hi))
	}
	readImageKeys(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return RandomContrast(f, opts...), nil
}

// configPair reads a list of two numbers.
func configPair(v any) (a, b float64, ok bool) {
	list, isList := v.([]any)
	if !isList || len(list) != 2 {
		return 0, 0, false
	}
	a, ok1 := configNumber(list[0])
	b, ok2 := configNumber(list[1])
	return a, b, ok1 && ok2
}
