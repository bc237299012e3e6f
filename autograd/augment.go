package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// AffineSampler draws the random maps of an augmentation: the augmentation
// layers implement it.
type AffineSampler interface {
	// SampleAffine writes one map per image into m, six values each (len(m)
	// is 6 × the batch size), for images of h rows and w columns. A map goes
	// from an output pixel to the input point it reads: the output at column
	// x, row y reads the input at column m0·x + m1·y + m2, row
	// m3·x + m4·y + m5 (Keras's affine_transform convention; the identity is
	// 1 0 0 0 1 0).
	SampleAffine(m []float64, h, w int)
}

// FillMode says how RandomAffine reads points outside the input image; see
// kernel.FillMode for the exact definitions (Keras's).
type FillMode = kernel.FillMode

// The fill modes of RandomAffine.
const (
	FillReflect  = kernel.FillReflect  // (d c b a | a b c d | d c b a), Keras's default
	FillConstant = kernel.FillConstant // (k k k k | a b c d | k k k k) with k = WarpOptions.FillValue
	FillNearest  = kernel.FillNearest  // (a a a a | a b c d | d d d d)
	FillWrap     = kernel.FillWrap     // (a b c d | a b c d | a b c d)
)

// WarpOptions say how RandomAffine resamples. The zero value is Keras's
// default: reflect fill, bilinear interpolation.
type WarpOptions struct {
	Mode      FillMode
	FillValue float32 // under FillConstant; default 0
	Nearest   bool    // nearest-neighbour instead of bilinear interpolation
}

// randomAffine warps each image of a batch through the composition of the
// maps its samplers draw, in training; at inference it copies its input.
type randomAffine struct {
	x, y     *Var
	samplers []AffineSampler
	warp     kernel.Warp
	m, tmp   []float64 // the composed maps of the batch; one sampler's draw
	img      int       // values per image
	active   bool      // the last Forward warped
}

// RandomAffine adds a random geometric augmentation of x, a batch of NHWC
// images (N, H, W, C). In training (Forward(true)) every sampler draws one
// map per image; the maps are composed as if the samplers' augmentations ran
// one after the other, in the order given, and each image is resampled once
// through its composed map. At inference the output equals the input.
//
// In a plan without gradients (NewInferencePlan, which only ever runs
// inference) it adds nothing and returns x itself. Otherwise the output is
// a new var, and when x carries a gradient the backward pass sends the
// output gradient back through the interpolation weights (the warp is
// linear in x; the fill value receives nothing). At a model's input, where
// augmentation belongs, x has no gradient and Backward does nothing.
//
// The samplers are called, in order, on the goroutine running the plan, so
// they may draw from generators shared between plans. Each training Forward
// warps the batch in parallel and allocates nothing.
func (p *Plan) RandomAffine(x *Var, opt WarpOptions, samplers ...AffineSampler) *Var {
	s := x.Shape()
	if len(s) != 4 || len(samplers) == 0 || opt.Mode > FillWrap {
		panic(fmt.Sprintf("autograd: RandomAffine of shape %v (want N, H, W, C) with %d samplers and fill mode %v", s, len(samplers), opt.Mode))
	}
	if p.noGrad {
		return x
	}
	n := s[0]
	op := &randomAffine{
		x: x, samplers: samplers,
		warp: kernel.Warp{H: s[1], W: s[2], C: s[3], Mode: opt.Mode, Fill: opt.FillValue, Nearest: opt.Nearest},
		m:    make([]float64, 6*n),
		img:  s[1] * s[2] * s[3],
	}
	if len(samplers) > 1 {
		op.tmp = make([]float64, 6*n)
	}
	op.y = p.newVar(op, x.Grad != nil, s...)
	p.add(op)
	return op.y
}

func (o *randomAffine) Forward(training bool) {
	o.active = training
	if !training {
		copy(o.y.Value.Data(), o.x.Value.Data())
		return
	}
	h, w := o.warp.H, o.warp.W
	o.samplers[0].SampleAffine(o.m, h, w)
	for _, s := range o.samplers[1:] {
		s.SampleAffine(o.tmp, h, w)
		for i := 0; i < len(o.m); i += 6 {
			compose(o.m[i:i+6], o.tmp[i:i+6])
		}
	}
	// Whole images per chunk; an MNIST image is ~10 µs of work.
	kernel.Parallel(len(o.m)/6, 8, (*affineForward)(o))
}

func (o *randomAffine) Backward() {
	if o.x.Grad == nil {
		return
	}
	if !o.active {
		kernel.AddTo(o.x.Grad.Data(), o.y.Grad.Data())
		return
	}
	// Images are disjoint in x.Grad, so chunks never write the same value.
	kernel.Parallel(len(o.m)/6, 8, (*affineBackward)(o))
}

// affineForward and affineBackward are the op seen as the two parallel
// jobs: converting the op's pointer allocates nothing.
type (
	affineForward  randomAffine
	affineBackward randomAffine
)

func (j *affineForward) Run(lo, hi int) {
	a, b := lo*j.img, hi*j.img
	j.warp.Apply(j.y.Value.Data()[a:b], j.x.Value.Data()[a:b], j.m[6*lo:6*hi])
}

func (j *affineBackward) Run(lo, hi int) {
	a, b := lo*j.img, hi*j.img
	j.warp.AddGrad(j.x.Grad.Data()[a:b], j.y.Grad.Data()[a:b], j.m[6*lo:6*hi])
}

// compose sets m to m∘t. Maps go from output to input, so running m's
// augmentation and then t's reads, for the final pixel p, the input at
// m(t(p)).
func compose(m, t []float64) {
	a0, a1, a2, b0, b1, b2 := m[0], m[1], m[2], m[3], m[4], m[5]
	m[0], m[1], m[2] = a0*t[0]+a1*t[3], a0*t[1]+a1*t[4], a0*t[2]+a1*t[5]+a2
	m[3], m[4], m[5] = b0*t[0]+b1*t[3], b0*t[1]+b1*t[4], b0*t[2]+b1*t[5]+b2
}
