package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// Element-wise layers that ONNX models use and Keras has no layer for:
// Clip, HardSigmoid (with any slope) and Erf. They are goras's own, named
// after the ONNX operators they import, and export back as those operators.

// ClipLayer limits each value to [min_value, max_value], as ONNX's Clip
// and PyTorch's clamp (PyTorch's ReLU6 is Clip(0, 6)).
type ClipLayer struct {
	base
	lo, hi float64 // ±Inf when unbounded
}

// Clip makes the layer; pass math.Inf(-1) or math.Inf(1) for a side
// without a limit. It takes only WithName.
func Clip(minValue, maxValue float64, opts ...Option) *ClipLayer {
	o, err := apply("Clip", opts)
	if err == nil && (math.IsNaN(minValue) || math.IsNaN(maxValue) || minValue > maxValue) {
		err = fmt.Errorf("Clip needs min_value ≤ max_value, got %v and %v", minValue, maxValue)
	}
	return &ClipLayer{base: base{name: o.name, err: err}, lo: minValue, hi: maxValue}
}

func (l *ClipLayer) ClassName() string { return "Clip" }

// Limits are min_value and max_value.
func (l *ClipLayer) Limits() (lo, hi float64) { return l.lo, l.hi }

func (l *ClipLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	return sameShape(l, l.err, input)
}

func (l *ClipLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.Clip(x, l.lo, l.hi)
}

// Config writes an unbounded side as null (JSON has no infinity), and an
// infinite limit that binds, a min of +∞ or a max of -∞ (Clip(∞, ∞) sets
// every value to +∞), as the largest float64 of its sign, which clips
// float32 values to the same ±∞.
func (l *ClipLayer) Config() map[string]any {
	bound := func(v, none float64) any {
		switch {
		case v == none:
			return nil
		case math.IsInf(v, 0):
			return math.Copysign(math.MaxFloat64, v)
		}
		return v
	}
	return map[string]any{"name": l.name, "min_value": bound(l.lo, math.Inf(-1)), "max_value": bound(l.hi, math.Inf(1))}
}

// sameShape is Build for a layer that keeps its input's shape.
func sameShape(l Layer, err error, input []int) ([]int, error) {
	if err != nil {
		return nil, buildError(l, "%v", err)
	}
	return input, nil
}

// HardSigmoidLayer is max(0, min(1, alpha·x + beta)), ONNX's HardSigmoid;
// alpha 1/6 and beta 0.5 give PyTorch's and Keras 3's hard_sigmoid.
type HardSigmoidLayer struct {
	base
	alpha, beta float64
}

// HardSigmoid makes the layer (ONNX's defaults are alpha 0.2, beta 0.5). It
// takes only WithName.
func HardSigmoid(alpha, beta float64, opts ...Option) *HardSigmoidLayer {
	o, err := apply("HardSigmoid", opts)
	if err == nil && (math.IsNaN(alpha) || math.IsInf(alpha, 0) || math.IsNaN(beta) || math.IsInf(beta, 0)) {
		err = fmt.Errorf("HardSigmoid needs finite alpha and beta, got %v and %v", alpha, beta)
	}
	return &HardSigmoidLayer{base: base{name: o.name, err: err}, alpha: alpha, beta: beta}
}

func (l *HardSigmoidLayer) ClassName() string { return "HardSigmoid" }

// AlphaBeta are the slope and the offset.
func (l *HardSigmoidLayer) AlphaBeta() (alpha, beta float64) { return l.alpha, l.beta }

func (l *HardSigmoidLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	return sameShape(l, l.err, input)
}

func (l *HardSigmoidLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.HardSigmoid(x, l.alpha, l.beta)
}

func (l *HardSigmoidLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "alpha": l.alpha, "beta": l.beta}
}

// ErfLayer is the error function of each value, ONNX's Erf (PyTorch's
// exact GELU exports through it).
type ErfLayer struct{ base }

// Erf makes the layer. It takes only WithName.
func Erf(opts ...Option) *ErfLayer {
	o, err := apply("Erf", opts)
	return &ErfLayer{base{name: o.name, err: err}}
}

func (l *ErfLayer) ClassName() string { return "Erf" }

func (l *ErfLayer) Build(input []int, _ *rand.Rand) ([]int, error) { return sameShape(l, l.err, input) }

func (l *ErfLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var { return p.Erf(x) }

func (l *ErfLayer) Config() map[string]any { return map[string]any{"name": l.name} }

func init() {
	Register("Clip", func(config map[string]any) (Layer, error) {
		r := NewConfigReader("Clip", config)
		name := r.Name()
		lo, hi := math.Inf(-1), math.Inf(1)
		if v, ok := config["min_value"]; ok && v != nil {
			lo = r.Float("min_value", 0)
		} else {
			r.Null("min_value")
		}
		if v, ok := config["max_value"]; ok && v != nil {
			hi = r.Float("max_value", 0)
		} else {
			r.Null("max_value")
		}
		if err := r.Err(); err != nil {
			return nil, err
		}
		return Clip(lo, hi, WithName(name)), nil
	})
	Register("HardSigmoid", func(config map[string]any) (Layer, error) {
		r := NewConfigReader("HardSigmoid", config)
		name := r.Name()
		alpha, beta := r.Float("alpha", 0.2), r.Float("beta", 0.5)
		if err := r.Err(); err != nil {
			return nil, err
		}
		return HardSigmoid(alpha, beta, WithName(name)), nil
	})
	Register("Erf", func(config map[string]any) (Layer, error) {
		r := NewConfigReader("Erf", config)
		name := r.Name()
		if err := r.Err(); err != nil {
			return nil, err
		}
		return Erf(WithName(name)), nil
	})
}
