package kernel

import "fmt"

// Im2col fills the patch rows of output rows [i0, i1) of one sample:
// x (H,W,C) → dst ((i1-i0)·OW, KH·KW·C), row (i,j) holding
// x[i·SH-PT+ky, j·SW-PL+kx, c] at column (ky·KW + kx)·C + c, zero where that
// cell is padding. In NHWC the kx-range of one window row is KW·C
// contiguous values of x, so each window row is one short copy; the
// columns whose windows lie inside x are swept without any edge logic.
func Im2col(dst, x []float32, g Window, c, i0, i1 int) {
	h, w, kh, kw, sh, sw, pt, pl := g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL
	_, ow := g.Out()
	rowLen := kw * c
	k := kh * rowLen
	if len(dst) < (i1-i0)*ow*k || len(x) < h*w*c {
		panic(fmt.Sprintf("kernel: Im2col: dst has %d elements, x %d; want %d and %d", len(dst), len(x), (i1-i0)*ow*k, h*w*c))
	}
	jlo, jhi := g.interior()
	for i := i0; i < i1; i++ {
		top := i*sh - pt
		out := dst[(i-i0)*ow*k : (i-i0+1)*ow*k]
		for ky := 0; ky < kh; ky++ {
			if iy := top + ky; iy < 0 || iy >= h { // a padding row
				for j := 0; j < ow; j++ {
					clear(out[j*k+ky*rowLen:][:rowLen])
				}
				continue
			}
			src := x[(top+ky)*w*c : (top+ky+1)*w*c]
			if jhi > jlo {
				sc := sw * c
				o, q := jlo*k+ky*rowLen, (jlo*sw-pl)*c
				switch rowLen {
				case 5: // 5×5 on one channel (LeNet's first layer): fixed moves
					for j := jlo; j < jhi; j, o, q = j+1, o+k, q+sc {
						d, s := out[o:][:5:5], src[q:][:5:5]
						d[0], d[1], d[2], d[3], d[4] = s[0], s[1], s[2], s[3], s[4]
					}
				case 3: // 3×3 on one channel
					for j := jlo; j < jhi; j, o, q = j+1, o+k, q+sc {
						d, s := out[o:][:3:3], src[q:][:3:3]
						d[0], d[1], d[2] = s[0], s[1], s[2]
					}
				default:
					im2colRun(out[o:], src[q:], k, sc, rowLen, jhi-jlo)
				}
			}
			for j := 0; j < ow; j++ {
				if j == jlo && jhi > jlo {
					j = jhi - 1
					continue
				}
				kx0, kx1, ix0 := g.cols(j)
				d := out[j*k+ky*rowLen:][:rowLen]
				if kx1 <= kx0 {
					clear(d)
					continue
				}
				clear(d[:kx0*c])
				copy(d[kx0*c:kx1*c], src[ix0*c:(ix0+kx1-kx0)*c])
				clear(d[kx1*c:])
			}
		}
	}
}

// im2colRun copies n window rows of rowLen values, the t-th from
// src[t·sstep:] to dst[t·dstep:]: the windows of a run of interior columns.
func im2colRun(dst, src []float32, dstep, sstep, rowLen, n int) {
	for t := 0; t < n; t++ {
		d := dst[t*dstep:][:rowLen]
		s := src[t*sstep:][:rowLen]
		if rowLen >= 64 {
			copy(d, s)
			continue
		}
		// Short rows: 4 values per move, then the rest, with no call to
		// memmove.
		for len(d) >= 4 {
			*(*[4]float32)(d) = *(*[4]float32)(s)
			d, s = d[4:], s[4:]
		}
		s = s[:len(d)]
		for i := range d {
			d[i] = s[i]
		}
	}
}

// Col2im is Im2col's adjoint: it adds every patch value of output rows
// [i0, i1) back into the cell of dx (H,W,C) it was copied from:
// cols ((i1-i0)·OW, KH·KW·C) → dx. Each dx cell receives its values in a
// fixed order (output row, then kernel row, then the interior output
// columns, then the edge ones), which every implementation keeps, so
// that training gives the same bits on every path.
func Col2im(dx, cols []float32, g Window, c, i0, i1 int) {
	h, w, kh, kw, sw, pl := g.H, g.W, g.KH, g.KW, g.SW, g.PL
	_, ow := g.Out()
	rowLen := kw * c
	k := kh * rowLen
	if len(cols) < (i1-i0)*ow*k || len(dx) < h*w*c {
		panic(fmt.Sprintf("kernel: Col2im: cols has %d elements, dx %d; want %d and %d", len(cols), len(dx), (i1-i0)*ow*k, h*w*c))
	}
	jlo, jhi := g.interior()
	for i := i0; i < i1; i++ {
		in := cols[(i-i0)*ow*k : (i-i0+1)*ow*k]
		ky0, ky1, iy0 := g.rows(i)
		if ky1 <= ky0 {
			continue
		}
		// The interior windows of every kernel row first, in column order,
		// then each kernel row's edge windows: kernel rows land on
		// different dx rows, so each dx value still receives its additions
		// in the order of one add per window row.
		if jhi > jlo {
			col2imRows(dx[iy0*w*c+(jlo*sw-pl)*c:], in[jlo*k+ky0*rowLen:], sw*c, k, rowLen, jhi-jlo, ky1-ky0, w*c, rowLen)
			if jlo == 0 && jhi == ow {
				continue
			}
		}
		for ky := ky0; ky < ky1; ky++ {
			dst := dx[(iy0+ky-ky0)*w*c : (iy0+ky-ky0+1)*w*c]
			for j := 0; j < ow; j++ {
				if j == jlo && jhi > jlo {
					j = jhi - 1
					continue
				}
				kx0, kx1, ix0 := g.cols(j)
				if kx1 <= kx0 {
					continue
				}
				addShort(dst[ix0*c:(ix0+kx1-kx0)*c], in[j*k+ky*rowLen+kx0*c:j*k+ky*rowLen+kx1*c])
			}
		}
	}
}

// addShort is AddTo for the clipped windows at Col2im's edges: below 16
// values a loop in place costs less than AddTo's call and checks, and
// gives the same sums (dst's value the first operand, as in AddTo).
func addShort(dst, src []float32) {
	if len(dst) >= 16 {
		AddTo(dst, src)
		return
	}
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}
