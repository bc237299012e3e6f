package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// Resample says how Resize reads its input: which window of each image it
// resamples, to what size, and how. The window may reach past the image
// (padding, read as Fill) or lie inside it (a crop). The zero values of
// Top, Left, Rows and Cols mean the whole image.
type Resample struct {
	Height, Width int     // the output size; both must be positive
	Top, Left     int     // the window's first row and column in the input; negative pads
	Rows, Cols    int     // the window's size; 0 means the input's height (width)
	Nearest       bool    // nearest-neighbour instead of bilinear interpolation
	Fill          float32 // the value of the window outside the image
}

// resize is Resize's op; RandomCrop runs one at inference.
type resize struct {
	x, y *Var
	k    kernel.Resize
	in   int // values per input image
	out  int // values per output image
}

// Resize resamples each image of x (N, H, W, C) to (N, r.Height, r.Width,
// C), as Keras's Resizing (through TensorFlow's or JAX's resize) does:
// bilinear with half-pixel centres and no antialiasing, so that
// downsampling reads the two input pixels nearest each output point (as
// PyTorch's interpolate with align_corners=False, antialias=False), or
// nearest-neighbour. It acts the same in training and inference; the
// gradient goes back through the interpolation weights. A training step
// allocates nothing.
func (p *Plan) Resize(x *Var, r Resample) *Var {
	op := newResize(x, r)
	op.y = p.newVar(op, x.Grad != nil, x.Shape()[0], r.Height, r.Width, op.k.C)
	p.add(op)
	return op.y
}

// newResize makes the op without its output, checking the geometry once.
func newResize(x *Var, r Resample) *resize {
	s := x.Shape()
	if len(s) != 4 || r.Height <= 0 || r.Width <= 0 || r.Rows < 0 || r.Cols < 0 {
		panic(fmt.Sprintf("autograd: Resize of shape %v (want N, H, W, C) with %+v", s, r))
	}
	rows, cols := r.Rows, r.Cols
	if rows == 0 {
		rows = s[1]
	}
	if cols == 0 {
		cols = s[2]
	}
	if r.Top >= s[1] || r.Left >= s[2] || r.Top+rows <= 0 || r.Left+cols <= 0 {
		panic(fmt.Sprintf("autograd: Resize window of %dx%d at (%d, %d) misses the %dx%d image", rows, cols, r.Top, r.Left, s[1], s[2]))
	}
	op := &resize{x: x, in: s[1] * s[2] * s[3], out: r.Height * r.Width * s[3]}
	op.k = kernel.Resize{H: s[1], W: s[2], C: s[3], Rows: make([]kernel.Tap, r.Height), Cols: make([]kernel.Tap, r.Width), Fill: r.Fill}
	kernel.ResizeTaps(op.k.Rows, s[1], r.Top, rows, r.Nearest)
	kernel.ResizeTaps(op.k.Cols, s[2], r.Left, cols, r.Nearest)
	return op
}

func (o *resize) Forward(bool) {
	// Whole images per chunk: a 28×28 image is a few µs of work.
	kernel.Parallel(o.x.Shape()[0], 8, (*resizeForward)(o))
}

func (o *resize) Backward() {
	if o.x.Grad == nil {
		return
	}
	// Images are disjoint in x.Grad, so chunks never write the same value.
	kernel.Parallel(o.x.Shape()[0], 8, (*resizeBackward)(o))
}

// resizeForward and resizeBackward are the op seen as the two parallel
// jobs: converting the op's pointer allocates nothing.
type (
	resizeForward  resize
	resizeBackward resize
)

func (j *resizeForward) Run(lo, hi int) {
	j.k.Apply(j.y.Value.Data()[lo*j.out:hi*j.out], j.x.Value.Data()[lo*j.in:hi*j.in])
}

func (j *resizeBackward) Run(lo, hi int) {
	j.k.AddGrad(j.x.Grad.Data()[lo*j.in:hi*j.in], j.y.Grad.Data()[lo*j.out:hi*j.out])
}
