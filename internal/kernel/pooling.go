package kernel

import "fmt"

// MaxPool2x2 is max pooling of one sample over 2×2 windows at stride 2
// without padding, the pooling of every course network:
// x (H,W,C) → y (H/2, W/2, C), rounding down as "valid" padding does.
// arg[t] is set to the index in x of the cell y[t] came from. The cells
// are scanned in row-major order and a cell replaces the best so far when
// it is greater, or when it is NaN and the best is not: of equal maxima the
// first wins, and a NaN anywhere in the window gives NaN (the first one)
// and takes the gradient.
//
// Each window row is a run of 2·C contiguous values; an assembly loop
// (pooling_amd64.s) compares 8 channels per instruction under the same
// rule, bit for bit, for every window of a row (all but the last when C is
// not a multiple of 8; see maxPoolRow).
func MaxPool2x2(y []float32, arg []int32, x []float32, h, w, c int) {
	oh, ow := h/2, w/2
	if len(y) != oh*ow*c || len(arg) != len(y) || len(x) != h*w*c {
		panic(fmt.Sprintf("kernel: MaxPool2x2: x (%d,%d,%d) has %d elements, y %d, arg %d; want %d, %d, %d",
			h, w, c, len(x), len(y), len(arg), h*w*c, oh*ow*c, oh*ow*c))
	}
	rs := w * c
	for i := 0; i < oh; i++ {
		top := 2 * i * rs
		r0 := x[top : top+2*ow*c]
		r1 := x[top+rs : top+rs+2*ow*c]
		yo := y[i*ow*c : (i+1)*ow*c]
		ao := arg[i*ow*c : (i+1)*ow*c]
		for j := maxPoolRow(yo, ao, x[top:top+rs+2*ow*c], ow, c, rs, top); j < ow; j++ {
			p := 2 * j * c
			a0, a1 := r0[p:p+2*c], r1[p:p+2*c]
			yy, aa := yo[j*c:(j+1)*c], ao[j*c:(j+1)*c]
			at0 := int32(top + p)
			for ch := range yy {
				best, at := a0[ch], at0+int32(ch)
				best, at = poolCell(best, at, a0[c+ch], at0+int32(c+ch))
				best, at = poolCell(best, at, a1[ch], at0+int32(rs+ch))
				best, at = poolCell(best, at, a1[c+ch], at0+int32(rs+c+ch))
				yy[ch], aa[ch] = best, at
			}
		}
	}
}

// poolCell is one step of a max pooling scan: cell v (index q) replaces
// the best so far when it is greater, or when it is NaN and best is not.
func poolCell(best float32, at int32, v float32, q int32) (float32, int32) {
	if v > best || (v != v && best == best) {
		return v, q
	}
	return best, at
}

// poolVecOff makes MaxPool2x2 skip the assembly loop, so that tests can
// hold the two against each other.
var poolVecOff bool

// ScatterAdd adds dy[t] to dx[arg[t]] for every t: the backward pass of a
// max pooling whose winners are arg. dy and arg have the same length.
func ScatterAdd(dx, dy []float32, arg []int32) {
	if len(dy) != len(arg) {
		panic(fmt.Sprintf("kernel: ScatterAdd: dy has %d elements, arg %d", len(dy), len(arg)))
	}
	for t, a := range arg {
		dx[a] += dy[t]
	}
}
