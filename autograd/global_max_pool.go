package autograd

import "fmt"

// globalMaxPool is the maximum over the spatial axes: x (N,H,W,C) → y
// (N,C), Keras's GlobalMaxPooling2D and ONNX's GlobalMaxPool.
type globalMaxPool struct {
	x, y     *Var
	n, hw, c int
	// argmax holds, for every output, the index within its sample of the
	// input cell it came from (the first of equal maxima), for Backward.
	argmax []int32
}

// GlobalMaxPool2D takes the maximum of each channel of x (N,H,W,C) over H
// and W, giving (N,C). The gradient goes to the cell that won in the last
// Forward (the first, in row-major order, of equal maxima).
func (p *Plan) GlobalMaxPool2D(x *Var) *Var {
	xs := x.Shape()
	if len(xs) != 4 {
		panic(fmt.Sprintf("autograd: GlobalMaxPool2D needs an input (N,H,W,C), got shape %v", xs))
	}
	if xs[1]*xs[2]*xs[3] > 1<<31-1 {
		panic(fmt.Sprintf("autograd: GlobalMaxPool2D input %v too large for int32 indices", xs))
	}
	op := &globalMaxPool{x: x, n: xs[0], hw: xs[1] * xs[2], c: xs[3]}
	op.y = p.newVar(op, x.Grad != nil, op.n, op.c)
	if p.noGrad { // no Backward reads them: one sample's worth, reused
		op.argmax = make([]int32, op.c)
	} else {
		op.argmax = make([]int32, op.n*op.c)
	}
	p.add(op)
	return op.y
}

func (o *globalMaxPool) Forward(bool) {
	x, y := o.x.Value.Data(), o.y.Value.Data()
	per := o.hw * o.c
	for n := 0; n < o.n; n++ {
		a0 := n * o.c
		if a0 >= len(o.argmax) {
			a0 = 0 // an inference plan's single sample of indices
		}
		xs, ys, am := x[n*per:(n+1)*per], y[n*o.c:(n+1)*o.c], o.argmax[a0:a0+o.c]
		copy(ys, xs[:o.c])
		for c := range am {
			am[c] = int32(c)
		}
		for i := 1; i < o.hw; i++ {
			row := xs[i*o.c : (i+1)*o.c]
			for c, v := range row {
				if v > ys[c] {
					ys[c], am[c] = v, int32(i*o.c+c)
				}
			}
		}
	}
}

func (o *globalMaxPool) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	per := o.hw * o.c
	for i, a := range o.argmax {
		dx[(i/o.c)*per+int(a)] += dy[i]
	}
}
