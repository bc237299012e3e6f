package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// ContrastSampler draws the factors of RandomContrast: the RandomContrast
// layer implements it.
type ContrastSampler interface {
	// SampleContrast writes one contrast factor per image into f.
	SampleContrast(f []float64)
}

// randomContrast scales each channel of each image about its mean, in
// training, and clips the result.
type randomContrast struct {
	x, y         *Var
	s            ContrastSampler
	lo, hi       float32
	f            []float64 // the factors of the last training Forward, one per image
	scale, shift []float32 // per image and channel: y = clip(x·scale + shift)
	sums         []float64 // one image's channel sums
	adj          []float32 // one image's gradient through the channel means
	active       bool      // the last Forward changed the contrast
}

// RandomContrast adds Keras's RandomContrast to x, a batch of NHWC images
// (N, H, W, C). In training (Forward(true)) s draws a factor f per image,
// and every value of channel c of that image becomes
//
//	y = clip((x - m)·f + m, lo, hi)
//
// with m the mean of the channel over the image. At inference the output
// equals the input; an inference-only plan (NewInferencePlan) gets x itself.
// The gradient is f·g + (1-f)/(H·W)·Σg over the channel, for the output
// gradient g where lo ≤ (x - m)·f + m ≤ hi (0 where the value was clipped).
//
// The sampler is called on the goroutine running the plan, so it may draw
// from a generator shared between plans. A training step allocates nothing.
func (p *Plan) RandomContrast(x *Var, lo, hi float64, s ContrastSampler) *Var {
	xs := x.Shape()
	if len(xs) != 4 || s == nil || !(lo <= hi) {
		panic(fmt.Sprintf("autograd: RandomContrast of shape %v (want N, H, W, C) clipped to [%v, %v] with sampler %v", xs, lo, hi, s))
	}
	if p.noGrad {
		return x
	}
	n, c := xs[0], xs[3]
	op := &randomContrast{
		x: x, s: s, lo: float32(lo), hi: float32(hi),
		f: make([]float64, n), scale: make([]float32, n*c), shift: make([]float32, n*c),
		sums: make([]float64, c), adj: make([]float32, c),
	}
	op.y = p.newVar(op, x.Grad != nil, xs...)
	p.add(op)
	return op.y
}

func (o *randomContrast) Forward(training bool) {
	o.active = training
	x, y := o.x.Value.Data(), o.y.Value.Data()
	if !training {
		copy(y, x)
		return
	}
	o.s.SampleContrast(o.f)
	xs := o.x.Shape()
	px, c := xs[1]*xs[2], xs[3]
	img := px * c
	for i, f := range o.f {
		xi, yi := x[i*img:(i+1)*img], y[i*img:(i+1)*img]
		scale, shift := o.scale[i*c:(i+1)*c], o.shift[i*c:(i+1)*c]
		clear(o.sums)
		kernel.ColumnSums64(o.sums, xi, px, c)
		for k, s := range o.sums {
			// (x - m)·f + m = x·f + (1-f)·m
			scale[k], shift[k] = float32(f), float32((1-f)*s/float64(px))
		}
		kernel.ChannelAffine(yi, xi, scale, shift, px, c)
		for j, v := range yi {
			yi[j] = min(max(v, o.lo), o.hi)
		}
	}
}

func (o *randomContrast) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	if !o.active {
		kernel.AddTo(dx, dy)
		return
	}
	x := o.x.Value.Data()
	xs := o.x.Shape()
	px, c := xs[1]*xs[2], xs[3]
	img := px * c
	for i, f := range o.f {
		xi, dxi, dyi := x[i*img:(i+1)*img], dx[i*img:(i+1)*img], dy[i*img:(i+1)*img]
		scale, shift := o.scale[i*c:(i+1)*c], o.shift[i*c:(i+1)*c]
		// The gradient of the unclipped values: the output's where the
		// clip let the value through (recomputed as Forward computed it).
		clear(o.sums)
		for j := 0; j < img; j += c {
			for k, g := range dyi[j : j+c] {
				if z := xi[j+k]*scale[k] + shift[k]; z >= o.lo && z <= o.hi {
					o.sums[k] += float64(g)
					dxi[j+k] += float32(f) * g
				}
			}
		}
		// Every value of the channel moves its mean by 1/(H·W).
		for k, s := range o.sums {
			o.adj[k] = float32((1 - f) * s / float64(px))
		}
		kernel.AddRowVector(dxi, o.adj, px, c)
	}
}
