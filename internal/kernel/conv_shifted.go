package kernel

// The shifted-window path of Conv2D: stride-1 convolutions whose window
// rows are long enough (KW·C ≥ shiftMinRow) run without any patches
// matrix. In NHWC, the KW·C values under one window row are contiguous in
// the input, and the windows of neighbouring output pixels start C values
// apart; so for one kernel row ky the patches of an output row are a
// matrix with rows C apart that overlap, which the GEMM tiles read in place
// (they take any row and column stride). One tile per (output pixels,
// filters, ky), the ky steps accumulating onto the first:
//
//	y[i, j, f] = Σ_ky Σ_{q < KW·C} xp[i+ky, j·C + q] · w[ky, q, f]
//
// where xp is x with its padding written out (a copy of a few rows, not a
// KH·KW-fold patches matrix; none when the convolution is unpadded).
//
// The gradients reuse the same trick:
//   - dx is a forward convolution (same routine) of dy, padded by KH-1-PT
//     rows above and KW-1-PL columns to the left, with the window rotated
//     by 180° and its channel axes swapped; no scatter. Inputs of at most
//     8 channels are the exception (see gemmDX): their dx is dy·wᵀ and
//     Col2im, as on the im2col path;
//   - dw for kernel row ky is xp's overlapping-rows matrix, transposed,
//     times dy laid out on xp's grid (rows of WP pixels, the KW-1 extra
//     columns zero), one product per kernel row and sample whose depth is
//     the whole sample, so each dw tile stays in registers throughout.
//
// Each output element is computed by the same tile calls in the same order
// whatever the split across workers, so results stay bit-identical.

// shiftMinRow is the shortest window row (KW·C values) that the tiles
// read in place: below it each tile call has too little depth (a
// one-channel 3×3 input gives 3) to pay for loading and storing C, and
// bandConv is used instead.
const shiftMinRow = 16

// shiftedOff makes NewConv2D build im2col convolutions only; tests and
// benchmarks set it to hold the two paths against each other.
var shiftedOff bool

// shiftedOK reports whether the geometry suits the shifted path: stride 1,
// and paddings below the window (so that dy padded for dx is well formed).
func shiftedOK(g Window) bool {
	return !shiftedOff && g.SH == 1 && g.SW == 1 && g.PT < g.KH && g.PB < g.KH && g.PL < g.KW && g.PR < g.KW && !(g.KH == 1 && g.KW == 1)
}

// convRows is shiftedConv, or bandConv when the window rows are short;
// wt is the kernel (KH,KW,ci,co) for the first, in column panels when co
// is wider than a tile (see panelWeights), and (KW,KH,ci,co) for the
// second (see bandWeights). mode says whether out is overwritten, added
// into, or set as adding into zeros (conv_set.go).
func convRows(kern *microKernel, out, src []float32, rs, rows, ow, ci, kh, kw int, wt []float32, co int, mode rowsWrite, band []float32) {
	if kw*ci >= shiftMinRow {
		shiftedConv(kern, out, src, rs, rows, ow, ci, kh, kw, wt, co, mode)
	} else {
		bandConv(kern, out, src, rs, rows, ow, ci, kh, kw, wt, co, mode, band)
	}
}

// bandConv computes what shiftedConv does for inputs with few channels
// (the first layer of an MNIST network: C = 1), where per-kernel-row
// products would be only KW·C deep. The KH input rows under an output row
// are kept interleaved in band, (OW+KW-1, KH, ci): then the window of
// output pixel j is band's KW·KH·ci values from j·KH·ci on, contiguous,
// and one tile call per output block takes the whole window as its depth,
// reading band with rows KH·ci apart.
//
// Input row r (counted from src) lives in band slot r mod KH, so moving
// down one output row interleaves one new input row, not KH; the slot of
// kernel row ky then rotates with the output row, and wt holds the kernel
// once per rotation (see bandWeights).
func bandConv(kern *microKernel, out, src []float32, rs, rows, ow, ci, kh, kw int, wt []float32, co int, mode rowsWrite, band []float32) {
	bw := kh * ci
	cols := ow + kw - 1
	band = band[:cols*bw]
	wsz := kh * kw * ci * co
	mr, nr := kern.mr, kern.nr
	pair := pairOK(kern, co, ow)
	if pair {
		wsz = kh * (kw + 1) * ci * 2 * co
	}
	beta := mode.beta()
	for i := 0; i < rows; i++ {
		r0 := i + kh - 1 // the one new row
		if i == 0 {
			r0 = 0
		}
		for r := r0; r < i+kh; r++ {
			bandRow(band, src[r*rs:][:cols*ci], cols, ci, bw, (r%kh)*ci)
		}
		w := wt[(i%kh)*wsz : (i%kh+1)*wsz]
		if mode == rowsFresh {
			clear(out[i*ow*co : (i+1)*ow*co])
		}
		if pair {
			for j0 := 0; j0 < ow/2; j0 += mr {
				kern.tile((kw+1)*bw, band[2*j0*bw:], 2*bw, 1, w, 2*co, out[(i*ow+2*j0)*co:], 2*co, 1, beta, min(mr, ow/2-j0), 2*co)
			}
			continue
		}
		for j0 := 0; j0 < ow; j0 += mr {
			jr := min(mr, ow-j0)
			for f0 := 0; f0 < co; f0 += nr {
				kern.tile(kw*bw, band[j0*bw:], bw, 1, w[f0:], co, out[(i*ow+j0)*co+f0:], co, 1, beta, jr, min(nr, co-f0))
			}
		}
	}
}

// pairOK says whether a convolution with co output channels and rows of
// ow output pixels runs in pixel pairs: with co ≤ 8 a tile row would fill
// at most 8 lanes (a half-rate 256-bit FMA on Zen 4), so each tile row
// computes two neighbouring pixels instead, 2·co ≤ 16 lanes of one 512-bit
// FMA, over a window one pixel wider: the depth grows by (KW+1)/KW and
// the work per FMA about doubles. The kernel then comes from pairWeights.
func pairOK(kern *microKernel, co, ow int) bool {
	return kern.nr >= 16 && co <= 8 && ow%2 == 0
}

// pairWeights expands a kernel stored as groups of kw blocks of u rows of
// co values (shiftedConv's (KH, KW·ci, co), u = ci, or bandConv's
// rotations, u = KH·ci) for pixel pairs: each group becomes kw+1 blocks of
// u rows of 2·co values, block kx' holding for pixel e ∈ {0, 1} the
// original block kx' - e (zero where that is outside the window).
func pairWeights(dst, w []float32, groups, kw, u, co int) {
	for g := 0; g < groups; g++ {
		for kx := 0; kx <= kw; kx++ {
			for q := 0; q < u; q++ {
				d := dst[((g*(kw+1)+kx)*u+q)*2*co:][:2*co]
				for e := 0; e < 2; e++ {
					if k := kx - e; k >= 0 && k < kw {
						copy(d[e*co:(e+1)*co], w[((g*kw+k)*u+q)*co:][:co])
					} else {
						clear(d[e*co : (e+1)*co])
					}
				}
			}
		}
	}
}

// bandRow writes one input row (cols pixels of ci values) into band at
// offset off of every bw-value pixel slot.
func bandRow(band, row []float32, cols, ci, bw, off int) {
	if ci == 1 {
		b := band[off:]
		_ = b[(cols-1)*bw]
		for j, v := range row[:cols] {
			b[j*bw] = v
		}
		return
	}
	for j := 0; j < cols; j++ {
		copy(band[j*bw+off:][:ci], row[j*ci:][:ci])
	}
}

// panelWeights sets dst to w, (k, co), cut into panels of nr columns,
// each (k, nr) and contiguous, the last padded with zeros: the tiles then
// read every cache line of B whole, where rows of co > nr values would
// leave half of each line unread and double the traffic from L2.
func panelWeights(dst, w []float32, k, co, nr int) {
	for q := 0; q*nr < co; q++ {
		cols := min(nr, co-q*nr)
		panel := dst[q*k*nr : (q+1)*k*nr]
		for r := 0; r < k; r++ {
			d := panel[r*nr : (r+1)*nr]
			copy(d, w[r*co+q*nr:r*co+q*nr+cols])
			clear(d[cols:])
		}
	}
}

// bandWeights sets dst to KH copies of w (KH,KW,ci,co), one per band
// rotation s: copy s is (KW,KH,ci,co) with kernel row ky in slot
// (ky + s) mod KH, the order bandConv reads for output rows i ≡ s.
func bandWeights(dst, w []float32, kh, kw, ci, co int) {
	blk := ci * co
	wsz := kh * kw * blk
	for s := 0; s < kh; s++ {
		for ky := 0; ky < kh; ky++ {
			sl := (ky + s) % kh
			for kx := 0; kx < kw; kx++ {
				copy(dst[s*wsz+(kx*kh+sl)*blk:][:blk], w[(ky*kw+kx)*blk:][:blk])
			}
		}
	}
}

// shiftedConv computes a stride-1 valid convolution of rows output rows,
// reading the input in place:
//
//	out[i, j, f] = beta·out[i, j, f] + Σ_{ky<kh, q<kw·ci} src[(i+ky)·rs + j·ci + q] · wt[(ky·kw·ci + q)·co + f]
//
// for i < rows, j < ow, f < co; src rows are rs values apart and hold at
// least (ow+kw-1)·ci values; out is (rows·ow, co). beta is mode's: 0
// (rowsSet) or 1, out's rows cleared one by one first for rowsFresh. When
// co > nr, wt is in the panels of panelWeights.
func shiftedConv(kern *microKernel, out, src []float32, rs, rows, ow, ci, kh, kw int, wt []float32, co int, mode rowsWrite) {
	rowK := kw * ci
	mr, nr := kern.mr, kern.nr
	beta := mode.beta()
	if pairOK(kern, co, ow) {
		for i := 0; i < rows; i++ {
			if mode == rowsFresh {
				clear(out[i*ow*co : (i+1)*ow*co])
			}
			for j0 := 0; j0 < ow/2; j0 += mr {
				ct := out[(i*ow+2*j0)*co:]
				for ky := 0; ky < kh; ky++ {
					b := beta
					if ky > 0 {
						b = 1
					}
					kern.tile((kw+1)*ci, src[(i+ky)*rs+2*j0*ci:], 2*ci, 1, wt[ky*(kw+1)*ci*2*co:], 2*co, ct, 2*co, 1, b, min(mr, ow/2-j0), 2*co)
				}
			}
		}
		return
	}
	ldw, pstep := co, nr // B's row stride and the offset of the next columns
	if co > nr {
		ldw, pstep = nr, kh*rowK*nr
	}
	for i := 0; i < rows; i++ {
		if mode == rowsFresh {
			clear(out[i*ow*co : (i+1)*ow*co])
		}
		for j0 := 0; j0 < ow; j0 += mr {
			jr := min(mr, ow-j0)
			for f0 := 0; f0 < co; f0 += nr {
				fc := min(nr, co-f0)
				ct := out[(i*ow+j0)*co+f0:]
				for ky := 0; ky < kh; ky++ {
					b := beta
					if ky > 0 {
						b = 1
					}
					kern.tile(rowK, src[(i+ky)*rs+j0*ci:], ci, 1, wt[(f0/nr)*pstep+ky*rowK*ldw:], ldw, ct, co, 1, b, jr, fc)
				}
			}
		}
	}
}

// shiftedDW adds to dw (kh, kw·ci, co) the weight gradient of one sample:
//
//	dw[ky, q, f] += Σ_{p < pix} src[(p + ky·wp)·ci + q] · dyg[p·co + f]
//
// src is the padded input (hp, wp, ci) and dyg the output gradient on the
// same grid (rows of wp pixels, zero past the output's width), pix =
// oh·wp - (kw-1) pixels (the last kw-1 are zero and would read past src).
func shiftedDW(kern *microKernel, dw, src []float32, wp, ci, kh, kw int, dyg []float32, pix, co int) {
	rowK := kw * ci
	nr := kern.nr
	// Rows in equal blocks (30 = 10+10+10, not 14+14+2): the FMAs per
	// step follow the rows a tile holds, not the rows it could.
	mr := ceilDiv(rowK, ceilDiv(rowK, kern.mr))
	for ky := 0; ky < kh; ky++ {
		a := src[ky*wp*ci:]
		for r0 := 0; r0 < rowK; r0 += mr {
			rr := min(mr, rowK-r0)
			for f0 := 0; f0 < co; f0 += nr {
				kern.tile(pix, a[r0:], 1, ci, dyg[f0:], co, dw[(ky*rowK+r0)*co+f0:], co, 1, 1, rr, min(nr, co-f0))
			}
		}
	}
}

// shiftedForward is the forward job, with convForward's operands: unit u
// is output rows [b·srb, (b+1)·srb) of sample u/sblocks, b = u%sblocks.
type shiftedForward convForward

func (j *shiftedForward) Run(lo, hi int) {
	cv := j.cv
	s := cv.getScratch()
	in := cv.win.H * cv.win.W * cv.c
	for u := lo; u < hi; u++ {
		n, i0 := u/cv.sblocks, (u%cv.sblocks)*cv.srb
		i1 := min(cv.oh, i0+cv.srb)
		xn := j.x[n*in : (n+1)*in]
		src := xn[i0*cv.win.W*cv.c:]
		switch {
		case cv.keptX != nil: // whole samples; Backward's dw reads them
			pad := cv.hp * cv.wp * cv.c
			src = cv.padRows(cv.keptX[n*pad:(n+1)*pad], xn, 0, cv.hp)
		case cv.padded:
			src = cv.padRows(s.xp, xn, i0, i1+cv.win.KH-1)
		}
		first := n*cv.oh*cv.ow + i0*cv.ow
		yb := j.y[first*cv.f : (first+(i1-i0)*cv.ow)*cv.f]
		if cv.winoForwardOK() {
			j.winoForwardRows(s, yb, src, i1-i0)
		} else {
			convRows(cv.kern, yb, src, cv.wp*cv.c, i1-i0, cv.ow, cv.c, cv.win.KH, cv.win.KW, j.wt, cv.f, rowsSet, s.band)
			biasAct(yb, j.bias, j.relu)
		}
		if cv.stats != nil { // whole samples per unit (TakesStats)
			cv.stats.written(n)
		}
	}
	cv.putScratch(s)
}

// shiftedSample does the backward pass of sample n into the group sums pdw
// and pdb and into dx. pdw is dw's (K, F), or on the Winograd path the
// sums of ∂L/∂U, (16, C, F).
func (j *convBackward) shiftedSample(s *convScratch, pdw, pdb []float32, n int) {
	cv := j.cv
	in, out := cv.win.H*cv.win.W*cv.c, cv.oh*cv.ow*cv.f
	var dyn, yn []float32 // with bn, none until j.wholeGrad makes it (j.padGrad makes rows)
	s.dzn = nil
	switch {
	case j.bn == nil:
		dyn = j.dy[n*out : (n+1)*out]
	case j.bn.Pool != nil: // bn's dz made here, from the pooling's gradient
		s.dzn = j.bn.Pool.sample(s.dz[:out], n, cv.oh, cv.ow, cv.f)
	}
	if j.relu {
		yn = j.y[n*out : (n+1)*out]
	}
	// dyg is dy on xp's grid (rows of WP pixels, zero past OW), for dw and
	// db; dyp is dy padded for dx, (H+KH-1, W+KW-1, F).
	gh, gw := cv.win.H+cv.win.KH-1, cv.win.W+cv.win.KW-1
	var dyg, dyp []float32
	var dyl []float32 // dyg after dwLead zeros, when laggedDW can read it
	convDX := j.dx != nil && !cv.gemmDX()
	if convDX && gw == cv.wp {
		// When the two grids are equally wide ("same" padding), dyp is
		// dyg shifted by off values: xp's KW-1 extra columns are dyp's
		// right and left borders. One copy serves both.
		off := ((cv.win.KH-1-cv.win.PT)*gw + cv.win.KW - 1 - cv.win.PL) * cv.f
		clear(s.dcols[:off])
		dyg = j.padGrad(s, s.dcols[off:], n, dyn, yn, cv.oh, cv.wp, 0, 0)
		if end := off + len(dyg); end < gh*gw*cv.f {
			clear(s.dcols[end : gh*gw*cv.f])
		}
		dyp = s.dcols[:gh*gw*cv.f]
	} else {
		if j.dw != nil || j.db != nil {
			// dy itself when xp's grid has no extra columns, no mask
			// applies and laggedDW needs no zeros before it.
			if lead := cv.dwLead(); j.relu || cv.wp != cv.ow || lead > 0 {
				clear(s.dy[:lead])
				dyg = j.padGrad(s, s.dy[lead:], n, dyn, yn, cv.oh, cv.wp, 0, 0)
				if lead > 0 {
					dyl = s.dy
				}
			} else {
				dyn = j.wholeGrad(s, n, dyn)
				dyg = dyn
			}
		}
		if convDX {
			dyp = j.padGrad(s, s.dcols, n, dyn, yn, gh, gw, cv.win.KH-1-cv.win.PT, cv.win.KW-1-cv.win.PL)
		}
	}
	if j.db != nil {
		columnSums(pdb, dyg, cv.oh*cv.wp, cv.f, s.acc)
	}
	if j.dw != nil {
		cv.sampleDW(s, pdw, j.x[n*in:(n+1)*in], dyg, dyl, n)
	}
	if j.dx != nil && !convDX {
		// dpatches = dy·wᵀ, then added back into dx window by window
		// (fitBackward sized cols and dym for it).
		pix := cv.oh * cv.ow
		dyn = j.wholeGrad(s, n, dyn)
		dym := dyn
		if j.relu {
			dym = s.dym
			reluMask(dym, dyn, yn)
		}
		gemmInline(cv.kern, false, false, pix, cv.k, cv.f, 1, dym, cv.f, cv.wT, cv.k, 0, s.cols, cv.k)
		if cv.set.dx {
			clear(j.dx[n*in : (n+1)*in])
		}
		Col2im(j.dx[n*in:(n+1)*in], s.cols, cv.win, cv.c, 0, cv.oh)
	}
	if convDX && cv.winoDXOK() {
		j.winoDX(s, j.dx[n*in:(n+1)*in], dyp, cv.set.dxWrite())
	} else if convDX {
		wt := cv.wFlip
		if cv.wFlipBand != nil {
			wt = cv.wFlipBand
		}
		if cv.wFlipPanel != nil {
			wt = cv.wFlipPanel
		}
		if pairOK(cv.kern, cv.c, cv.win.W) {
			wt = cv.wFlipPair
		}
		convRows(cv.kern, j.dx[n*in:(n+1)*in], dyp, gw*cv.f, cv.win.H, cv.win.W, cv.f, cv.win.KH, cv.win.KW, wt, cv.c, cv.set.dxWrite(), s.band)
	}
}

// sampleDW adds sample n's weight gradient to pdw: xn is the sample,
// dyg its output gradient on xp's grid, dyl the same after dwLead zeros
// (nil when not made).
func (cv *Conv2D) sampleDW(s *convScratch, pdw, xn, dyg, dyl []float32, n int) {
	src := xn
	switch {
	case cv.keptX != nil: // Forward left the padded input here
		src = cv.keptX[n*cv.hp*cv.wp*cv.c : (n+1)*cv.hp*cv.wp*cv.c]
	case cv.padded:
		src = cv.padRows(s.xp, src, 0, cv.hp)
	}
	if cv.winoDWOK() {
		cv.winoSampleDW(s, pdw, src, dyg)
		return
	}
	if dyl != nil && laggedDW(cv.kern, pdw, src, cv.wp, cv.oh, cv.win.KH, cv.win.KW, dyl, cv.f, s.lag) {
		return
	}
	shiftedDW(cv.kern, pdw, src, cv.wp, cv.c, cv.win.KH, cv.win.KW, dyg, cv.oh*cv.wp-(cv.win.KW-1), cv.f)
}

// gemmDXOff turns the GEMM dx of the shifted path off, for benchmarks that
// compare it with the convolution of dy.
var gemmDXOff bool

// gemmDX says whether dx is computed as on the im2col path, dy·wᵀ then
// Col2im, instead of as a convolution of dy padded by the window: when x
// has few channels (C ≤ 8), where the convolution's tiles run on pixel
// pairs of at most 16 lanes and, on small images, mostly over dy's zero
// padding (LeNet's second layer: 100 of 324 pixels are dy's), while the
// GEMM's tiles are full; and when the patches of one sample fit in 4 MiB.
func (cv *Conv2D) gemmDX() bool {
	return !gemmDXOff && cv.c <= 8 && cv.oh*cv.ow*cv.k <= 1<<20
}

// flipWeights sets dst (KH,KW,F,C) to w (KH,KW,C,F) rotated by 180° with
// its channel axes swapped: the kernel of dx as a forward convolution of dy.
func flipWeights(dst, w []float32, kh, kw, c, f int) {
	for ky := 0; ky < kh; ky++ {
		for kx := 0; kx < kw; kx++ {
			src := w[(ky*kw+kx)*c*f:][:c*f]
			d := dst[((kh-1-ky)*kw+kw-1-kx)*f*c:][:f*c]
			transpose(d, src, c, f)
		}
	}
}
