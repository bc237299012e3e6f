package autograd

import "math"

// Element-wise functions that ONNX models use and Keras has no activation
// for: Clip, HardSigmoid with any slope, Erf.

// Clip limits x to [lo, hi]. The gradient is 1 where lo ≤ x ≤ hi (as
// PyTorch's clamp), 0 elsewhere. Pass ±Inf for a side without a limit.
func (p *Plan) Clip(x *Var, lo, hi float64) *Var {
	return p.pointwise(x,
		func(v float64) float64 { return math.Min(math.Max(v, lo), hi) },
		func(v, _ float64) float64 {
			if v < lo || v > hi {
				return 0
			}
			return 1
		})
}

// HardSigmoid is max(0, min(1, alpha·x + beta)): ONNX's HardSigmoid
// (alpha 0.2, beta 0.5 by default) and, with alpha 1/6, Keras's and
// PyTorch's hard_sigmoid. The gradient is alpha where 0 < alpha·x + beta <
// 1, 0 elsewhere.
func (p *Plan) HardSigmoid(x *Var, alpha, beta float64) *Var {
	return p.pointwise(x,
		func(v float64) float64 { return math.Min(math.Max(alpha*v+beta, 0), 1) },
		func(v, _ float64) float64 {
			if t := alpha*v + beta; t <= 0 || t >= 1 {
				return 0
			}
			return alpha
		})
}

// Erf is the error function, 2/√π·∫₀ˣ e^(-t²) dt, whose derivative is
// 2/√π·e^(-x²).
func (p *Plan) Erf(x *Var) *Var {
	return p.pointwise(x, math.Erf,
		func(v, _ float64) float64 { return 2 / math.SqrtPi * math.Exp(-v*v) })
}
