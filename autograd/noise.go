package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/internal/kernel"
)

// The noise ops of Keras's regularization layers besides Dropout
// (dropout.go): each is the identity at inference (an exact copy) and draws
// fresh noise from the caller's generator at every training Forward, which
// Backward then differentiates through as a constant.

// spatialDropout2D is inverted dropout of whole feature maps: in training
// each (sample, channel) pair is dropped with probability rate, zeroing that
// channel at every pixel, and the kept ones are scaled by 1/(1-rate).
type spatialDropout2D struct {
	x, y     *Var
	rate     float64
	thresh   uint64    // a 32-bit draw below thresh drops the feature map
	scale    float32   // 1/(1-rate)
	mask     []float32 // (N, C): 0 or scale, drawn by the last training Forward
	zeros    []float32 // (C) zeros: the shift, mean and b of the channel kernels
	n, hw, c int
	rng      *rand.Rand
	active   bool // the last Forward applied the mask
}

// SpatialDropout2D drops whole feature maps of x (N,H,W,C) in training: one
// draw per sample and channel, shared by every pixel, drops that map with
// probability rate and scales the kept ones by 1/(1-rate). It is the
// identity at inference. rate must be in [0, 1). Masks come from rng, which
// the caller may share between plans (a layer's plans run one at a time).
func (p *Plan) SpatialDropout2D(x *Var, rate float64, rng *rand.Rand) *Var {
	xs := x.Shape()
	if len(xs) != 4 || !(rate >= 0 && rate < 1) || rng == nil {
		panic(fmt.Sprintf("autograd: SpatialDropout2D of %v (want (N,H,W,C)) with rate %v (want [0, 1)) and rng %p", xs, rate, rng))
	}
	op := &spatialDropout2D{
		x: x, rate: rate, rng: rng,
		thresh: uint64(rate * (1 << 32)),
		scale:  float32(1 / (1 - rate)),
		n:      xs[0], hw: xs[1] * xs[2], c: xs[3],
		zeros: make([]float32, xs[3]),
	}
	if !p.noGrad {
		op.mask = make([]float32, op.n*op.c)
	}
	op.y = p.newVar(op, x.Grad != nil, xs...)
	p.add(op)
	return op.y
}

func (o *spatialDropout2D) Forward(training bool) {
	o.active = training && o.rate > 0
	x, y := o.x.Value.Data(), o.y.Value.Data()
	if !o.active {
		copy(y, x)
		return
	}
	if o.mask == nil {
		o.mask = make([]float32, o.n*o.c)
	}
	drawKeep(o.mask, o.rng, o.thresh, o.scale)
	// Per sample, y = x·mask[c] + 0 over (H·W, C) rows: the channel kernel
	// batch normalization uses.
	size := o.hw * o.c
	for n := 0; n < o.n; n++ {
		kernel.ChannelAffine(y[n*size:(n+1)*size], x[n*size:(n+1)*size], o.mask[n*o.c:(n+1)*o.c], o.zeros, o.hw, o.c)
	}
}

func (o *spatialDropout2D) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	if !o.active {
		kernel.AddTo(dx, dy)
		return
	}
	// BatchNormGrad adds a[c]·dy + b[c]·(x - mean[c]) + d[c]; with b, mean
	// and d zero that is dx += mask[c]·dy, vectorised over the channels.
	size := o.hw * o.c
	for n := 0; n < o.n; n++ {
		d, g := dx[n*size:(n+1)*size], dy[n*size:(n+1)*size]
		kernel.BatchNormGrad(d, g, g, o.mask[n*o.c:(n+1)*o.c], o.zeros, o.zeros, o.zeros, o.hw, o.c)
	}
}

// drawKeep fills m with 0 (probability thresh/2³²) or scale. Each 64-bit
// draw decides two entries, a 32-bit uniform each, as dropout does.
func drawKeep(m []float32, rng *rand.Rand, thresh uint64, scale float32) {
	keep := func(u uint64) float32 {
		if u < thresh {
			return 0
		}
		return scale
	}
	for i := 0; i < len(m); i += 2 {
		r := rng.Uint64()
		m[i] = keep(r & 0xffffffff)
		if i+1 < len(m) {
			m[i+1] = keep(r >> 32)
		}
	}
}

// gaussianNoise adds N(0, stddev²) noise in training: y = x + stddev·z. The
// noise does not depend on x, so dx = dy in either mode.
type gaussianNoise struct {
	x, y   *Var
	stddev float64
	rng    *rand.Rand
}

// GaussianNoise adds zero-mean Gaussian noise of standard deviation stddev
// (≥ 0) to every element of x in training, drawn from rng; it is the
// identity at inference.
func (p *Plan) GaussianNoise(x *Var, stddev float64, rng *rand.Rand) *Var {
	if !(stddev >= 0) || math.IsInf(stddev, 1) || rng == nil {
		panic(fmt.Sprintf("autograd: GaussianNoise with stddev %v (want finite ≥ 0) and rng %p", stddev, rng))
	}
	op := &gaussianNoise{x: x, stddev: stddev, rng: rng}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *gaussianNoise) Forward(training bool) {
	x, y := o.x.Value.Data(), o.y.Value.Data()
	if !training || o.stddev == 0 {
		copy(y, x)
		return
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] = v + float32(o.stddev*o.rng.NormFloat64())
	}
}

func (o *gaussianNoise) Backward() {
	if o.x.Grad != nil {
		kernel.AddTo(o.x.Grad.Data(), o.y.Grad.Data())
	}
}

// gaussianDropout multiplies by N(1, rate/(1-rate)) noise in training:
// y = x·m, so dx = dy·m with the m the last training Forward drew.
type gaussianDropout struct {
	x, y   *Var
	rate   float64
	stddev float64   // √(rate/(1-rate))
	mask   []float32 // the factors m, drawn by the last training Forward
	rng    *rand.Rand
	active bool // the last Forward applied the mask
}

// GaussianDropout multiplies every element of x by its own draw from
// N(1, rate/(1-rate)) in training, from rng; it is the identity at
// inference. rate must be in [0, 1). The noise has the variance of inverted
// dropout's factor (0 or 1/(1-rate)) with the same mean 1.
func (p *Plan) GaussianDropout(x *Var, rate float64, rng *rand.Rand) *Var {
	if !(rate >= 0 && rate < 1) || rng == nil {
		panic(fmt.Sprintf("autograd: GaussianDropout with rate %v (want [0, 1)) and rng %p", rate, rng))
	}
	op := &gaussianDropout{x: x, rate: rate, rng: rng, stddev: math.Sqrt(rate / (1 - rate))}
	if !p.noGrad {
		op.mask = make([]float32, x.Value.Len())
	}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *gaussianDropout) Forward(training bool) {
	x, y := o.x.Value.Data(), o.y.Value.Data()
	o.active = training && o.rate > 0
	if !o.active {
		copy(y, x)
		return
	}
	if o.mask == nil {
		o.mask = make([]float32, len(x))
	}
	for i := range o.mask {
		o.mask[i] = float32(1 + o.stddev*o.rng.NormFloat64())
	}
	kernel.Mul(y, x, o.mask)
}

func (o *gaussianDropout) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	if !o.active {
		kernel.AddTo(dx, dy)
		return
	}
	// kernel has no fused dx += dy·m; one pass here beats Mul into a
	// scratch of x's size followed by AddTo.
	m := o.mask[:len(dx)]
	dy = dy[:len(dx)]
	for i := range dx {
		dx[i] += dy[i] * m[i]
	}
}
