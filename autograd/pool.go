package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// pool2D is max or average pooling, channels last: x (N,H,W,C) → y
// (N,OH,OW,C), each output the max or mean of a KH×KW window moved by
// (SH,SW). Padding follows Keras (XLA/TF "SAME"): padded cells never win a
// max (they count as −∞), and an average divides by the number of real
// cells in its window, not by the window's area. kernel.MaxPool2D and
// kernel.AvgPool2D do the work, split by samples across the workers.
type pool2D struct {
	x, y *Var
	win  kernel.Window
	n, c int
	max  bool

	// argmax holds, for max pooling, the index within its sample of the
	// input cell each output took its value from (the first of equal
	// maxima), for Backward. The 2×2 stride-2 pooling of most networks
	// keeps instead, in wins, the winner's position in its window, a byte:
	// a quarter of the memory to write and read, and a backward pass that
	// walks dx in order instead of scattering into it (the same bits).
	argmax []int32
	wins   []uint8
	// setX says the plan leaves x's gradient unzeroed for Backward to set
	// (overwrite.go): only with wins, see gradSlotsSet.
	setX bool
	// in, when not nil, is the normalization whose output x is and which
	// Forward applies to in.x as it reads it (normin.go): only with wins.
	in *batchNorm
	// runs, when not nil, are the sums of the normalization whose output
	// x is, which Backward takes as it sets x's gradient (normsums.go);
	// with onlyRuns it writes only the rows the normalization's sums read.
	runs     *kernel.BNRuns
	onlyRuns bool
}

// MaxPool2D takes the maximum of each poolH×poolW window of x (N,H,W,C),
// moved by strideH rows and strideW columns over x padded with padTop rows
// above, padBottom below, padLeft and padRight columns. Padded cells never
// win; every padding must be smaller than the window so that each window
// holds a real cell. The gradient goes to the cell that won in the last
// Forward (the first, in row-major order, of equal maxima).
func (p *Plan) MaxPool2D(x *Var, poolH, poolW, strideH, strideW, padTop, padBottom, padLeft, padRight int) *Var {
	return p.pool2D("MaxPool2D", true, x, poolH, poolW, strideH, strideW, padTop, padBottom, padLeft, padRight)
}

// AvgPool2D averages each poolH×poolW window of x (N,H,W,C), with the
// geometry of MaxPool2D. A window that overlaps the padding is the mean of
// its real cells only, as in Keras.
func (p *Plan) AvgPool2D(x *Var, poolH, poolW, strideH, strideW, padTop, padBottom, padLeft, padRight int) *Var {
	return p.pool2D("AvgPool2D", false, x, poolH, poolW, strideH, strideW, padTop, padBottom, padLeft, padRight)
}

func (p *Plan) pool2D(name string, isMax bool, x *Var, kh, kw, sh, sw, pt, pb, pl, pr int) *Var {
	xs := x.Shape()
	g := window(name, xs, kh, kw, sh, sw, pt, pb, pl, pr)
	if pt >= kh || pb >= kh || pl >= kw || pr >= kw {
		panic(fmt.Sprintf("autograd: %s window %dx%d with padding (%d,%d,%d,%d): a padding as large as the window leaves windows without a real cell", name, kh, kw, pt, pb, pl, pr))
	}
	op := &pool2D{x: x, win: g, n: xs[0], c: xs[3], max: isMax}
	oh, ow := g.Out()
	op.y = p.newVar(op, x.Grad != nil, op.n, oh, ow, op.c)
	if isMax {
		if xs[1]*xs[2]*xs[3] > 1<<31-1 {
			panic(fmt.Sprintf("autograd: %s input %v too large for int32 indices", name, xs))
		}
		switch {
		case p.noGrad: // an inference plan has no Backward to read them
		case kernel.MaxPool2x2Wins(g):
			op.wins = make([]uint8, op.y.Value.Len())
		default:
			op.argmax = make([]int32, op.y.Value.Len())
		}
	}
	p.add(op)
	return op.y
}

func (o *pool2D) Forward(bool) {
	switch {
	case o.in != nil:
		kernel.MaxPool2DWinsAffine(o.y.Value.Data(), o.wins, o.in.x.Value.Data(), o.in.scale, o.in.shift, o.in.relu, o.n, o.c, o.win)
	case o.wins != nil:
		kernel.MaxPool2DWins(o.y.Value.Data(), o.wins, o.x.Value.Data(), o.n, o.c, o.win)
	case o.max:
		kernel.MaxPool2D(o.y.Value.Data(), o.argmax, o.x.Value.Data(), o.n, o.c, o.win)
	default:
		kernel.AvgPool2D(o.y.Value.Data(), o.x.Value.Data(), o.n, o.c, o.win)
	}
}

// Backward adds each output gradient to its window's winner (max) or
// spreads it evenly over the window's real cells (average).
func (o *pool2D) Backward() {
	if o.x.Grad == nil {
		return
	}
	switch {
	case o.runs != nil && o.onlyRuns:
		kernel.MaxPool2DWinsBackwardRuns(o.x.Grad.Data(), o.y.Grad.Data(), o.wins, o.n, o.c, o.win, o.runs)
	case o.runs != nil:
		kernel.MaxPool2DWinsBackwardSetRuns(o.x.Grad.Data(), o.y.Grad.Data(), o.wins, o.n, o.c, o.win, o.runs)
	case o.wins != nil && o.setX:
		kernel.MaxPool2DWinsBackwardSet(o.x.Grad.Data(), o.y.Grad.Data(), o.wins, o.n, o.c, o.win)
	case o.wins != nil:
		kernel.MaxPool2DWinsBackward(o.x.Grad.Data(), o.y.Grad.Data(), o.wins, o.n, o.c, o.win)
	case o.max:
		kernel.MaxPool2DBackward(o.x.Grad.Data(), o.y.Grad.Data(), o.argmax, o.n, o.c, o.win)
	default:
		kernel.AvgPool2DBackward(o.x.Grad.Data(), o.y.Grad.Data(), o.n, o.c, o.win)
	}
}

// gradSlotsSet is the gradSlots pool2D can offer (overwrite.go): the 2×2
// stride-2 max pooling can set x's gradient when it writes it first
// (kernel.MaxPool2DWinsBackwardSet writes every cell, the bits of adding
// into zeros, without a zeroing pass); the other poolings only add. Its
// gradSlots, in overwrite_ops.go until it moves here, returns slot(dst,
// o.x.Grad) for now: calling this instead turns the setting on.
func (o *pool2D) gradSlotsSet(dst []gradSlot) []gradSlot {
	if o.wins != nil {
		return setSlot(dst, o.x.Grad, &o.setX)
	}
	return slot(dst, o.x.Grad)
}

// globalAvgPool is the mean over the spatial axes: x (N,H,W,C) → y (N,C).
type globalAvgPool struct {
	x, y     *Var
	n, hw, c int
}

// GlobalAvgPool2D averages x (N,H,W,C) over H and W, giving (N,C).
func (p *Plan) GlobalAvgPool2D(x *Var) *Var {
	xs := x.Shape()
	if len(xs) != 4 {
		panic(fmt.Sprintf("autograd: GlobalAvgPool2D needs an input (N,H,W,C), got shape %v", xs))
	}
	op := &globalAvgPool{x: x, n: xs[0], hw: xs[1] * xs[2], c: xs[3]}
	op.y = p.newVar(op, x.Grad != nil, op.n, op.c)
	p.add(op)
	return op.y
}

func (o *globalAvgPool) Forward(bool) {
	kernel.GlobalAvgPool(o.y.Value.Data(), o.x.Value.Data(), o.n, o.hw, o.c)
}

func (o *globalAvgPool) Backward() {
	if o.x.Grad == nil {
		return
	}
	kernel.GlobalAvgPoolBackward(o.x.Grad.Data(), o.y.Grad.Data(), o.n, o.hw, o.c)
}
