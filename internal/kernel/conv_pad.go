package kernel

// The copies of the shifted path: x padded (through the normalization
// before it, when one is set: conv_input.go), and the output gradient laid
// out on the padded grids that the weight gradient and dx read.

// padRows writes rows [r0, r1) of the padded input of one sample xn
// (H,W,C) into dst, (r1-r0, WP, C): the padding cells zero, the others
// mapped as SetInputAffine says (conv_input.go).
func (cv *Conv2D) padRows(dst, xn []float32, r0, r1 int) []float32 {
	c, rowLen := cv.c, cv.wp*cv.c
	dst = dst[:(r1-r0)*rowLen]
	for r := r0; r < r1; r++ {
		d := dst[(r-r0)*rowLen : (r-r0+1)*rowLen]
		iy := r - cv.win.PT
		if iy < 0 || iy >= cv.win.H {
			clear(d)
			continue
		}
		clear(d[:cv.win.PL*c])
		cv.inputRow(d[cv.win.PL*c:(cv.win.PL+cv.win.W)*c], xn[iy*cv.win.W*c:(iy+1)*cv.win.W*c])
		clear(d[(cv.win.PL+cv.win.W)*c:])
	}
	return dst
}

// maskedCopy sets dst = dy, or, with relu, dy where y > 0 and 0 elsewhere.
func maskedCopy(dst, dy, y []float32, relu bool) {
	if relu {
		reluMask(dst, dy, y)
	} else {
		copy(dst, dy)
	}
}

// padGrad lays one sample's output gradient dyn (OH, OW, F), masked by the
// ReLU output yn when relu, out as rows of width cols pixels starting at
// row top and column left of dst (rows, cols, F), zero elsewhere.
func (cv *Conv2D) padGrad(dst, dyn, yn []float32, relu bool, rows, cols, top, left int) []float32 {
	f := cv.f
	rowLen := cols * f
	dst = dst[:rows*rowLen]
	// The gradient for dw and db (no border above or left): every row in
	// one assembly call (gradrows_amd64.go), the rows below zeroed.
	if relu && top == 0 && left == 0 && rows >= cv.oh && maskRowsVec(dst, dyn, yn, cv.ow*f, cv.oh, rowLen, cv.ow*f) {
		clear(dst[cv.oh*rowLen:])
		return dst
	}
	return cv.padLayout(dst, cols, top, left, func(d []float32, i int) {
		var ys []float32
		if relu {
			ys = yn[i*cv.ow*f : (i+1)*cv.ow*f]
		}
		maskedCopy(d, dyn[i*cv.ow*f:(i+1)*cv.ow*f], ys, relu)
	})
}

// padLayout has row(d, i) write output row i of a gradient (OW·F values)
// into d, the row's place in dst, rows of cols pixels with the output's
// rows starting at row top and column left, and clears the rest of dst.
func (cv *Conv2D) padLayout(dst []float32, cols, top, left int, row func(d []float32, i int)) []float32 {
	f := cv.f
	rowLen := cols * f
	for r := 0; r < len(dst)/rowLen; r++ {
		d := dst[r*rowLen : (r+1)*rowLen]
		i := r - top
		if i < 0 || i >= cv.oh {
			clear(d)
			continue
		}
		clear(d[:left*f])
		row(d[left*f:(left+cv.ow)*f], i)
		clear(d[(left+cv.ow)*f:])
	}
	return dst
}
