package autograd

import "fmt"

// pad2D pads an image with zeros, or crops it, on its four sides: x
// (N,H,W,C) → y (N, H+top+bottom, W+left+right, C), a negative amount
// cropping that many rows or columns instead. Keras's ZeroPadding2D and
// Cropping2D are made of it.
type pad2D struct {
	x, y                     *Var
	top, bottom, left, right int
}

// Pad2D pads x (N,H,W,C) with top rows of zeros above, bottom below, left
// and right columns; a negative amount removes that many rows or columns
// from that side instead. The output must keep at least one row and one
// column.
func (p *Plan) Pad2D(x *Var, top, bottom, left, right int) *Var {
	xs := x.Shape()
	if len(xs) != 4 {
		panic(fmt.Sprintf("autograd: Pad2D needs an input (N,H,W,C), got shape %v", xs))
	}
	oh, ow := xs[1]+top+bottom, xs[2]+left+right
	if oh <= 0 || ow <= 0 || -top >= xs[1] || -left >= xs[2] {
		panic(fmt.Sprintf("autograd: Pad2D of %v by (%d, %d, %d, %d) leaves no image", xs, top, bottom, left, right))
	}
	op := &pad2D{x: x, top: top, bottom: bottom, left: left, right: right}
	op.y = p.newVar(op, x.Grad != nil, xs[0], oh, ow, xs[3])
	p.add(op)
	return op.y
}

// rows walks the rows of x that y keeps, giving each one's offsets in x and
// y (per sample) and how many values of it are copied.
func (o *pad2D) rows(f func(xOff, yOff, n int)) {
	xs, ys := o.x.Shape(), o.y.Shape()
	h, w, c, oh, ow := xs[1], xs[2], xs[3], ys[1], ys[2]
	// The columns of x kept: from x column x0, landing at y column y0.
	x0, y0 := max(-o.left, 0), max(o.left, 0)
	cols := min(w-x0, ow-y0)
	for n := 0; n < xs[0]; n++ {
		for i := max(-o.top, 0); i < h; i++ {
			r := i + o.top
			if r >= oh {
				break
			}
			f(((n*h+i)*w+x0)*c, ((n*oh+r)*ow+y0)*c, cols*c)
		}
	}
}

func (o *pad2D) Forward(bool) {
	x, y := o.x.Value.Data(), o.y.Value.Data()
	clear(y)
	o.rows(func(xOff, yOff, n int) { copy(y[yOff:yOff+n], x[xOff:xOff+n]) })
}

func (o *pad2D) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	o.rows(func(xOff, yOff, n int) {
		d, s := dx[xOff:xOff+n], dy[yOff:yOff+n]
		for i := range d {
			d[i] += s[i]
		}
	})
}
