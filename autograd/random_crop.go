package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// CropSampler draws the windows of RandomCrop: the RandomCrop layer
// implements it.
type CropSampler interface {
	// SampleCrop writes one window per image into at, its top row and then
	// its left column (len(at) is 2 × the batch size), the top in [0, rows]
	// and the left in [0, cols]: rows and cols are how many rows and
	// columns the input has beyond the output's.
	SampleCrop(at []int, rows, cols int)
}

// randomCrop copies a window of each image in training and resamples the
// images as infer says at inference.
type randomCrop struct {
	x, y   *Var
	s      CropSampler
	at     []int   // the windows of the last training Forward
	infer  *resize // the inference behaviour, over the same x and y
	active bool    // the last Forward cropped
}

// RandomCrop adds a random crop of x (N, H, W, C) to (N, r.Height,
// r.Width, C), which must fit in the image. In training (Forward(true))
// every image gets its own window, drawn by s, and the output is a copy of
// it; the gradient goes back into the window. At inference the images are
// resampled as r says, as Resize(x, r) would (Keras's RandomCrop resizes
// the largest centred window of the output's aspect ratio), and an
// inference-only plan (NewInferencePlan) gets exactly Resize(x, r).
//
// The sampler is called on the goroutine running the plan, so it may draw
// from a generator shared between plans. A training step allocates nothing.
func (p *Plan) RandomCrop(x *Var, s CropSampler, r Resample) *Var {
	if p.noGrad {
		return p.Resize(x, r)
	}
	xs := x.Shape()
	if len(xs) != 4 || s == nil || r.Height > xs[1] || r.Width > xs[2] {
		panic(fmt.Sprintf("autograd: RandomCrop of shape %v (want N, H, W, C) to %dx%d with sampler %v", xs, r.Height, r.Width, s))
	}
	op := &randomCrop{x: x, s: s, at: make([]int, 2*xs[0]), infer: newResize(x, r)}
	op.y = p.newVar(op, x.Grad != nil, xs[0], r.Height, r.Width, xs[3])
	op.infer.y = op.y
	p.add(op)
	return op.y
}

func (o *randomCrop) Forward(training bool) {
	o.active = training
	if !training {
		o.infer.Forward(false)
		return
	}
	xs, ys := o.x.Shape(), o.y.Shape()
	o.s.SampleCrop(o.at, xs[1]-ys[1], xs[2]-ys[2])
	x, y := o.x.Value.Data(), o.y.Value.Data()
	o.rows(func(xOff, yOff, n int) { copy(y[yOff:yOff+n], x[xOff:xOff+n]) })
}

func (o *randomCrop) Backward() {
	if o.x.Grad == nil {
		return
	}
	if !o.active {
		o.infer.Backward()
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	o.rows(func(xOff, yOff, n int) { kernel.AddTo(dx[xOff:xOff+n], dy[yOff:yOff+n]) })
}

// rows walks the output rows, giving each one's offset in x (inside its
// image's window), in y, and its length.
func (o *randomCrop) rows(f func(xOff, yOff, n int)) {
	xs, ys := o.x.Shape(), o.y.Shape()
	h, w, c, oh, ow := xs[1], xs[2], xs[3], ys[1], ys[2]
	for i := range xs[0] {
		top, left := o.at[2*i], o.at[2*i+1]
		if top < 0 || left < 0 || top > h-oh || left > w-ow {
			panic(fmt.Sprintf("autograd: RandomCrop: the sampler put the %dx%d window of image %d at (%d, %d), outside the %dx%d image", oh, ow, i, top, left, h, w))
		}
		for r := range oh {
			f(((i*h+top+r)*w+left)*c, (i*oh+r)*ow*c, ow*c)
		}
	}
}
