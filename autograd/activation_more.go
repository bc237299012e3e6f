package autograd

import (
	"math"

	"github.com/goras-ml/goras/internal/kernel"
)

// pointwise is an element-wise function whose derivative needs the input
// (and may use the output): GELU, SiLU, softplus and the piecewise ones.
// The scalar work is done in float64, as math's functions are.
type pointwise struct {
	x, y *Var
	f    func(x float64) float64
	df   func(x, y float64) float64 // f'(x), given y = f(x)
}

func (p *Plan) pointwise(x *Var, f func(float64) float64, df func(x, y float64) float64) *Var {
	op := &pointwise{x: x, f: f, df: df}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *pointwise) Forward(bool) {
	y := o.y.Value.Data()
	for i, v := range o.x.Value.Data() {
		y[i] = float32(o.f(float64(v)))
	}
}

func (o *pointwise) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy, y := o.x.Grad.Data(), o.y.Grad.Data(), o.y.Value.Data()
	for i, v := range o.x.Value.Data() {
		dx[i] += dy[i] * float32(o.df(float64(v), float64(y[i])))
	}
}

// LeakyReLU is x for x > 0 and slope·x otherwise. Keras's leaky_relu
// function defaults to slope 0.2 (the LeakyReLU layer to 0.3).
func (p *Plan) LeakyReLU(x *Var, slope float64) *Var {
	return p.pointwise(x,
		func(v float64) float64 {
			if v > 0 {
				return v
			}
			return slope * v
		},
		func(v, _ float64) float64 {
			if v > 0 {
				return 1
			}
			return slope
		})
}

// ELU is x for x > 0 and alpha·(eˣ - 1) otherwise (Keras default alpha 1).
func (p *Plan) ELU(x *Var, alpha float64) *Var {
	return p.pointwise(x,
		func(v float64) float64 {
			if v > 0 {
				return v
			}
			return alpha * math.Expm1(v)
		},
		func(v, y float64) float64 {
			if v > 0 {
				return 1
			}
			return y + alpha
		})
}

// Keras's SELU constants (Klambauer et al. 2017).
const (
	SELUAlpha = 1.67326324235437728481704299167
	SELUScale = 1.05070098735548049341933498529
)

// SELU is SELUScale·ELU(x, SELUAlpha).
func (p *Plan) SELU(x *Var) *Var {
	return p.pointwise(x,
		func(v float64) float64 {
			if v > 0 {
				return SELUScale * v
			}
			return SELUScale * SELUAlpha * math.Expm1(v)
		},
		func(v, y float64) float64 {
			if v > 0 {
				return SELUScale
			}
			return y + SELUScale*SELUAlpha
		})
}

// GELU is the exact Gaussian error linear unit x·Φ(x) = x·(1 + erf(x/√2))/2,
// Keras's gelu with its default approximate=False.
func (p *Plan) GELU(x *Var) *Var {
	return p.pointwise(x,
		func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) },
		func(v, _ float64) float64 { // Φ(x) + x·φ(x)
			return 0.5*(1+math.Erf(v/math.Sqrt2)) + v*math.Exp(-0.5*v*v)/math.Sqrt(2*math.Pi)
		})
}

// SiLU (swish) is x·sigmoid(x).
func (p *Plan) SiLU(x *Var) *Var {
	return p.pointwise(x,
		func(v float64) float64 { return v * sigmoid64(v) },
		func(v, _ float64) float64 { // s + x·s·(1-s)
			s := sigmoid64(v)
			return s * (1 + v*(1-s))
		})
}

// Softplus is log(1 + eˣ), computed as max(x, 0) + log1p(e^-|x|) so that it
// neither overflows for large x nor rounds to 0 for very negative x. Its
// derivative is sigmoid(x).
func (p *Plan) Softplus(x *Var) *Var {
	return p.pointwise(x,
		func(v float64) float64 { return max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))) },
		func(v, _ float64) float64 { return sigmoid64(v) })
}

func sigmoid64(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// logSoftmax is y = x - logsumexp(x) over the last axis.
type logSoftmax struct {
	x, y *Var
	m, n int
	lse  []float32
}

// LogSoftmax is the log of Softmax over the last axis, computed as
// x - logsumexp(x) so that it stays finite where softmax rounds to 0.
func (p *Plan) LogSoftmax(x *Var) *Var {
	m, n := rows(mustShape("LogSoftmax", x, 1))
	op := &logSoftmax{x: x, m: m, n: n, lse: make([]float32, m)}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *logSoftmax) Forward(bool) {
	x, y := o.x.Value.Data(), o.y.Value.Data()
	kernel.LogSumExpRows(o.lse, x, o.m, o.n)
	for i := 0; i < o.m; i++ {
		for j := i * o.n; j < (i+1)*o.n; j++ {
			y[j] = x[j] - o.lse[i]
		}
	}
}

// Backward: dx_j = dy_j - softmax_j·Σ_k dy_k, with softmax = e^y.
func (o *logSoftmax) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy, y := o.x.Grad.Data(), o.y.Grad.Data(), o.y.Value.Data()
	for i := 0; i < o.m; i++ {
		var s float64
		for j := i * o.n; j < (i+1)*o.n; j++ {
			s += float64(dy[j])
		}
		for j := i * o.n; j < (i+1)*o.n; j++ {
			dx[j] += dy[j] - float32(math.Exp(float64(y[j]))*s)
		}
	}
}

// rescale is y = x·scale + offset.
type rescale struct {
	x, y          *Var
	scale, offset float32
}

// Rescale computes x·scale + offset element-wise: Keras's Rescaling layer,
// e.g. scale 1/255 to bring 0–255 pixels into [0, 1].
func (p *Plan) Rescale(x *Var, scale, offset float64) *Var {
	op := &rescale{x: x, scale: float32(scale), offset: float32(offset)}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *rescale) Forward(bool) {
	y := o.y.Value.Data()
	for i, v := range o.x.Value.Data() {
		y[i] = v*o.scale + o.offset
	}
}

func (o *rescale) Backward() {
	if o.x.Grad != nil {
		kernel.Axpy(o.x.Grad.Data(), o.scale, o.y.Grad.Data())
	}
}
