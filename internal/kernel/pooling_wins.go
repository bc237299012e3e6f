package kernel

import "fmt"

// Max pooling over 2×2 windows at stride 2 without padding keeps, for its
// backward pass, not an int32 index per output but the position of the
// winner within its window, one byte: 0 top left, 1 top right, 2 bottom
// left, 3 bottom right. The windows do not overlap, so each input cell
// takes at most one gradient and the backward pass needs no scatter: it
// walks dx in order, channels last, adding each window's gradient to the
// one cell its byte names (with AVX-512, pooling_amd64.s: 16 channels of a
// window per instruction, or for fewer than 16 channels 16 consecutive
// values of a dx row, their gradients and bytes permuted from dy's). It
// can also set dx, the bits of adding into zeros, for a plan that then
// need not zero it. Values and gradients are the bits of MaxPool2D and
// MaxPool2DBackward with int32 indices.

// MaxPool2x2Wins reports whether g is the geometry MaxPool2DWins runs:
// 2×2 windows at stride 2 whose outputs, (H/2, W/2), cover no padded cell.
func MaxPool2x2Wins(g Window) bool {
	oh, ow := g.Out()
	return g.Valid() && g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PT == 0 && g.PL == 0 &&
		oh == g.H/2 && ow == g.W/2
}

// MaxPool2DWins is MaxPool2D for a geometry MaxPool2x2Wins accepts,
// x (N,H,W,C) → y (N,H/2,W/2,C), with win (N,H/2,W/2,C) set to the
// position of each output's winner in its window instead of its index:
// the same scan, the same values, the winner at MaxPool2D's index.
// The last row and column of an odd H or W belong to no window.
func MaxPool2DWins(y []float32, win []uint8, x []float32, n, c int, g Window) {
	checkPoolWins("MaxPool2DWins", n, c, g, len(x), len(y), len(win))
	runPooling(poolingJob{kind: poolMaxWins, g: g, c: c, dst: y, src: x, win: win}, n)
}

// MaxPool2DWinsBackward is MaxPool2DBackward for MaxPool2DWins: dx
// (N,H,W,C) += dy (N,H/2,W/2,C) at the cells win names, each sum
// dx + dy in that order; the other cells of dx are left as they were.
func MaxPool2DWinsBackward(dx, dy []float32, win []uint8, n, c int, g Window) {
	checkPoolWins("MaxPool2DWinsBackward", n, c, g, len(dx), len(dy), len(win))
	runPooling(poolingJob{kind: poolMaxWinsBack, g: g, c: c, dst: dx, src: dy, win: win}, n)
}

// MaxPool2DWinsBackwardSet sets dx (N,H,W,C) to what
// MaxPool2DWinsBackward gives on a dx of zeros, never reading dx: +0 + dy
// at the cells win names, +0 at every other cell (those of no window
// included). It serves a plan whose pooling is the only writer of x's
// gradient, which then needs no zeroing pass over memory of its own.
func MaxPool2DWinsBackwardSet(dx, dy []float32, win []uint8, n, c int, g Window) {
	checkPoolWins("MaxPool2DWinsBackwardSet", n, c, g, len(dx), len(dy), len(win))
	runPooling(poolingJob{kind: poolMaxWinsSet, g: g, c: c, dst: dx, src: dy, win: win}, n)
}

// checkPoolWins is checkPool for the geometry of MaxPool2x2Wins only.
func checkPoolWins(op string, n, c int, g Window, in, out, win int) {
	if !MaxPool2x2Wins(g) {
		panic(fmt.Sprintf("kernel: %s: %v is not 2x2 windows at stride 2 without padding", op, g))
	}
	checkPool(op, n, c, g, in, out, win)
}

// winsSpillOff makes maxPoolWinsSample leave each row's last window to
// its pure-Go loop, for the tests and benchmarks that compare the two.
var winsSpillOff bool

// winsRowsOnly makes maxPoolWinsSample take the AVX2 rows (maxPoolWinsRow)
// where the AVX-512 loop would take the whole sample, so that the tests
// hold the rows too on a machine with AVX-512.
var winsRowsOnly bool

// maxPoolWinsSample is MaxPool2DWins of one sample: x (H,W,C) → y,
// win (H/2,W/2,C), under MaxPool2x2's rule (a cell replaces the best so far
// when it is greater, or when it is NaN and the best is not). The
// assembly takes the whole sample (AVX-512) or the
// first windows of each row (AVX2, see maxPoolRow); this loop the rest.
func maxPoolWinsSample(y []float32, win []uint8, x []float32, h, w, c int) {
	oh, ow := h/2, w/2
	if oh == 0 || ow == 0 || maxPoolWinsVec(y, win, x, oh, ow, c, w*c) {
		return
	}
	rs := w * c
	for i := range oh {
		top := 2 * i * rs
		r0, r1 := x[top:][:2*ow*c], x[top+rs:][:2*ow*c]
		yo, wo := y[i*ow*c:][:ow*c], win[i*ow*c:][:ow*c]
		for j := maxPoolWinsRow(yo, wo, x[top:top+rs+2*ow*c], ow, c, rs, i < oh-1 && !winsSpillOff); j < ow; j++ {
			a0, a1 := r0[2*j*c:][:2*c], r1[2*j*c:][:2*c]
			yy, ww := yo[j*c:][:c], wo[j*c:][:c]
			for ch := range yy {
				best, at := a0[ch], uint8(0)
				if v := a0[c+ch]; v > best || (v != v && best == best) {
					best, at = v, 1
				}
				if v := a1[ch]; v > best || (v != v && best == best) {
					best, at = v, 2
				}
				if v := a1[c+ch]; v > best || (v != v && best == best) {
					best, at = v, 3
				}
				yy[ch], ww[ch] = best, at
			}
		}
	}
}

// maxPoolWinsBackSample is MaxPool2DWinsBackward of one sample, or with
// set MaxPool2DWinsBackwardSet's: dy, win (H/2,W/2,C) → dx (H,W,C).
func maxPoolWinsBackSample(dx, dy []float32, win []uint8, h, w, c int, set bool) {
	oh, ow := h/2, w/2
	rs := w * c
	if oh > 0 && ow > 0 && maxPoolWinsBackVec(dx, dy, win, oh, ow, c, rs, set) {
		if set { // the cells of no window: the last column, the last row
			for r := 0; r < 2*oh && w%2 == 1; r++ {
				clear(dx[(r*w+w-1)*c:][:c])
			}
			clear(dx[2*oh*rs:])
		}
		return
	}
	if set {
		clear(dx)
	}
	for i := range oh {
		top := 2 * i * rs
		do, wo := dy[i*ow*c:][:ow*c], win[i*ow*c:][:ow*c]
		for j := range ow {
			// The cells of positions 0..3 start at these offsets in dx.
			p := top + 2*j*c
			cells := [4]int{p, p + c, p + rs, p + rs + c}
			dd, ww := do[j*c:][:c], wo[j*c:][:c]
			// dx[q] += dd[ch] as ScatterAdd writes it: the compiler then
			// makes dx[q] the first operand of ADDSS, which decides which
			// of two NaNs the sum is (amd64 keeps the first).
			for ch := range dd {
				q := cells[ww[ch]&3] + ch
				dx[q] += dd[ch]
			}
		}
	}
}
