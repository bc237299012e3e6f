package kernel

// The direct path of Conv2D's inference forward pass (ForwardAffine): a
// convolution tile that takes a whole window as its depth, reading the
// (padded) input in place, and applies the per-channel scale, shift and
// ReLU to its accumulators before it writes them once. Next to Forward's
// paths it saves what an inference of a small batch pays for on every
// call: no repacking of the kernel (the tile reads w in its own layout),
// no second or third pass over the output (bias, normalization, ReLU), no
// accumulation through memory between kernel rows; and its units split
// the rows of a sample evenly over the workers. For an MNIST network's
// first layer (one input channel) its depth is the window's 9 values
// where the band path had tile calls of 3.
//
// In NHWC with stride SW, output pixel j's window row ky is the KW·C
// values of padded input row i·SH+ky from column j·SW on, contiguous; the
// rows of the tile's A are those windows, SW·C apart, and the depth steps
// from one window row to the next by the padded row's length.

// Flags of a tile's epilogue.
const (
	convReLU  = 1 // max(v, 0), NaN giving 0, as kernel.ReLU
	convShift = 2 // v + shift[j]
	convScale = 4 // fma(v, scale[j], shift[j]); shift must be given too
)

// directTile is one implementation of the direct convolution tile: up to
// mr output pixels × nr output channels, for i < rows, j < cols,
//
//	acc := Σ_{ky<kh} Σ_{q<k1} a[i·rsa + ky·ars + q] · b[(ky·k1 + q)·ldb + j]   (ky, then q, ascending)
//	c[i·ldc + j] = epilogue(acc)   (flags: convScale, convShift, convReLU)
type directTile struct {
	name   string
	mr, nr int
	fn     func(k1, kh int, a []float32, rsa, ars int, b []float32, ldb int, c []float32, ldc int, scale, shift []float32, flags, rows, cols int)
}

// goTile is the pure-Go tile: the reference the assembly is held
// against, and the tile of builds without it (purego, other
// architectures).
var goTile = directTile{name: "purego", mr: 4, nr: 8, fn: convTileGo}

// convTileGo implements directTile.fn in Go: per output, the products
// added into a float32 in the tile's order. Whole tiles go two pixels at
// a time through convPair, whose sixteen sums stay in registers.
func convTileGo(k1, kh int, a []float32, rsa, ars int, b []float32, ldb int, c []float32, ldc int, scale, shift []float32, flags, rows, cols int) {
	var acc [2][8]float32
	for i := 0; i < rows; i += 2 {
		if cols == 8 && i+1 < rows {
			acc = convPair(k1, kh, a[i*rsa:], rsa, ars, b, ldb)
		} else {
			acc = [2][8]float32{}
			for r := i; r < min(i+2, rows); r++ {
				for ky := 0; ky < kh; ky++ {
					ar := a[r*rsa+ky*ars:][:k1]
					for q, v := range ar {
						for j, w := range b[(ky*k1+q)*ldb:][:cols] {
							acc[r-i][j] += v * w
						}
					}
				}
			}
		}
		for r := i; r < min(i+2, rows); r++ {
			out := c[r*ldc:][:cols]
			for j := range out {
				out[j] = convEpilogue(acc[r-i][j], scale, shift, j, flags)
			}
		}
	}
}

// convPair is convTileGo's sums for two pixels (A's rows 0 and rsa) and 8
// channels.
func convPair(k1, kh int, a []float32, rsa, ars int, b []float32, ldb int) [2][8]float32 {
	var s00, s01, s02, s03, s04, s05, s06, s07 float32
	var s10, s11, s12, s13, s14, s15, s16, s17 float32
	for ky := 0; ky < kh; ky++ {
		a0, a1 := a[ky*ars:][:k1], a[rsa+ky*ars:][:k1]
		bk := b[ky*k1*ldb:]
		for q := range a0 {
			w := bk[q*ldb : q*ldb+8 : q*ldb+8]
			u, v := a0[q], a1[q]
			s00 += u * w[0]
			s01 += u * w[1]
			s02 += u * w[2]
			s03 += u * w[3]
			s04 += u * w[4]
			s05 += u * w[5]
			s06 += u * w[6]
			s07 += u * w[7]
			s10 += v * w[0]
			s11 += v * w[1]
			s12 += v * w[2]
			s13 += v * w[3]
			s14 += v * w[4]
			s15 += v * w[5]
			s16 += v * w[6]
			s17 += v * w[7]
		}
	}
	return [2][8]float32{{s00, s01, s02, s03, s04, s05, s06, s07}, {s10, s11, s12, s13, s14, s15, s16, s17}}
}

// convEpilogue is a tile's epilogue for one value of output channel j.
func convEpilogue(v float32, scale, shift []float32, j, flags int) float32 {
	switch {
	case flags&convScale != 0:
		v = v*scale[j] + shift[j]
	case flags&convShift != 0:
		v += shift[j]
	}
	if flags&convReLU != 0 && !(v > 0) {
		v = 0
	}
	return v
}

// directTiles lists the tiles usable here, the pure-Go one first, for the
// conformance tests; activeTile is the one ForwardAffine uses (nil: it
// runs Forward and then the epilogue as passes over y).
var (
	directTiles = []*directTile{&goTile}
	activeTile  = defaultTile()
)

// ForwardAffine computes, for inference, y = act(conv(x, w)·scale + shift)
// per output channel: x (N,H,W,C), w (KH,KW,C,F), scale and shift (F), y
// (N,OH,OW,F) overwritten; act is max(·, 0) with relu (NaN gives 0), else
// the identity. scale nil means 1 (shift then acts as a bias); shift nil
// means 0. A batch normalization at inference after the convolution is
// this scale and shift. It rounds differently from Forward followed by the
// affine pass (the scale multiplies the sums, not the kernel; one rounding
// per output), so a training plan, whose forward values must not change,
// keeps Forward.
func (cv *Conv2D) ForwardAffine(y, x, w, scale, shift []float32, relu bool) {
	cv.checkLens("ForwardAffine", "y", y, cv.n*cv.oh*cv.ow*cv.f, "x", x, cv.n*cv.win.H*cv.win.W*cv.c,
		"w", w, cv.k*cv.f, "scale", scale, cv.f, "shift", shift, cv.f)
	flags := 0
	switch {
	case cv.in != nil:
		panic("kernel: Conv2D.ForwardAffine: the convolution reads its input through SetInputAffine, which inference does not take")
	case scale != nil && shift == nil:
		panic("kernel: Conv2D.ForwardAffine: a scale needs a shift (zeros for none)")
	case scale != nil:
		flags |= convScale
	case shift != nil:
		flags |= convShift
	}
	if relu {
		flags |= convReLU
	}
	tile := cv.tile
	if tile == nil {
		cv.forwardThenAffine(y, x, w, scale, shift, relu)
		return
	}
	cv.useAffine()
	if cv.wino != nil {
		cv.winoForward(y, x, w, scale, shift, flags)
		return
	}
	j := &cv.dfwd
	j.cv, j.tile = cv, tile
	j.y, j.x, j.w, j.scale, j.shift, j.flags = y, x, w, scale, shift, flags
	// Whole samples per unit when the batch alone gives every worker two;
	// otherwise each sample's rows cut into as many blocks as that takes,
	// if the work is enough for two workers (each block pads KH-1 rows
	// more).
	j.blocks = 1
	if wk := Workers(); cv.n < 2*wk {
		b := min(cv.oh, ceilDiv(2*wk, cv.n))
		if cv.n*cv.oh*cv.ow*cv.k*cv.f >= 2*convMinChunk {
			j.blocks = b
		}
	}
	perUnit := ceilDiv(cv.oh, j.blocks) * cv.ow * cv.k * cv.f
	Parallel(cv.n*j.blocks, max(1, convMinChunk/perUnit), j)
	j.y, j.x, j.w, j.scale, j.shift = nil, nil, nil, nil, nil
}

// forwardThenAffine is ForwardAffine where no tile runs: Forward, then
// the epilogue as passes over y.
func (cv *Conv2D) forwardThenAffine(y, x, w, scale, shift []float32, relu bool) {
	if scale == nil {
		cv.Forward(y, x, w, shift, relu)
		return
	}
	cv.Forward(y, x, w, nil, false)
	ChannelAffine(y, y, scale, shift, cv.n*cv.oh*cv.ow, cv.f)
	if relu {
		ReLU(y, y)
	}
}

// directForward is ForwardAffine's job: unit u is the rows of block
// u%blocks of sample u/blocks, the blocks cutting OH rows evenly.
type directForward struct {
	cv                    *Conv2D
	tile                  *directTile
	y, x, w, scale, shift []float32
	flags, blocks         int
}

func (j *directForward) Run(lo, hi int) {
	cv := j.cv
	s := cv.getScratch()
	for u := lo; u < hi; u++ {
		n, b := u/j.blocks, u%j.blocks
		i0, i1 := b*cv.oh/j.blocks, (b+1)*cv.oh/j.blocks
		if i0 < i1 {
			j.rows(s, n, i0, i1)
		}
	}
	cv.putScratch(s)
}

// rows computes output rows [i0, i1) of sample n.
func (j *directForward) rows(s *convScratch, n, i0, i1 int) {
	cv, t := j.cv, j.tile
	g, c, f := cv.win, cv.c, cv.f
	in := g.H * g.W * c
	src, rs, first := j.x[n*in:(n+1)*in], g.W*c, i0*g.SH // first: src's row 0 in padded rows
	if cv.padded {
		rs = cv.wp * c
		src = cv.padRows(s.xp, src, first, (i1-1)*g.SH+g.KH)
	} else {
		first = 0
	}
	k1, rsa := g.KW*c, g.SW*c
	for f0 := 0; f0 < f; f0 += t.nr {
		cols := min(t.nr, f-f0)
		var sc, sh []float32
		if j.scale != nil {
			sc = j.scale[f0:]
		}
		if j.shift != nil {
			sh = j.shift[f0:]
		}
		for i := i0; i < i1; i++ {
			row := src[(i*g.SH-first)*rs:]
			out := j.y[((n*cv.oh+i)*cv.ow)*f+f0:]
			for j0 := 0; j0 < cv.ow; j0 += t.mr {
				t.fn(k1, g.KH, row[j0*rsa:], rsa, rs, j.w[f0:], f, out[j0*f:], f, sc, sh, j.flags, min(t.mr, cv.ow-j0), cols)
			}
		}
	}
}
