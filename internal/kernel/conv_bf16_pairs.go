package kernel

// The backward pass's bfloat16 operands of Conv2DBF16, built straight
// from one sample's x and dy. They equal what padding x (padRows) or
// laying dy on the padded grid (padGrad) and then converting gave, value
// for value, without those float32 copies (7 % and 3 % of the profile of
// best's 14×14×64 backward pass; 1.5–2 % of its time once removed).

// xpPixel returns the index in x (N excluded) of pixel p of the padded
// sample, rows of WP pixels, or -1 where p is padding or past the grid.
func (b *Conv2DBF16) xpPixel(p int) int {
	cv := b.cv
	g := cv.win
	r, col := p/cv.wp, p%cv.wp
	iy, ix := r-g.PT, col-g.PL
	if r >= cv.hp || iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
		return -1
	}
	return iy*g.W + ix
}

// pixelPairs sets dst[p·C+i] = pair(xp[p·C+i], xp[(p+1)·C+i]) for the
// HP·WP+1 pixels p of the padded sample xp of xn (x2 of weightGrad), xp
// zero past its grid. zero holds at least C zeros. Runs of pixels whose
// neighbours follow each other in xn (a row's interior; whole rows when
// nothing is padded) are paired in one call.
func (b *Conv2DBF16) pixelPairs(dst []uint32, xn, zero []float32) {
	c := b.cv.c
	total := b.cv.hp*b.cv.wp + 1
	for p := 0; p < total; {
		lo, hi := b.xpPixel(p), b.xpPixel(p+1)
		q := p + 1
		switch {
		case lo >= 0 && hi == lo+1:
			for q < total && b.xpPixel(q+1) == lo+1+q-p {
				q++
			}
			b.kern.pair(dst[p*c:q*c], xn[lo*c:(lo+q-p)*c], xn[(lo+1)*c:(lo+1+q-p)*c])
		case lo < 0 && hi < 0:
			for q < total && b.xpPixel(q+1) < 0 {
				q++
			}
			clear(dst[p*c : q*c])
		default:
			b.kern.pair(dst[p*c:q*c], pixelOr(xn, lo, c, zero), pixelOr(xn, hi, c, zero))
		}
		p = q
	}
}

// pixelOr returns pixel i of x (c values), or c zeros when i < 0.
func pixelOr(x []float32, i, c int, zero []float32) []float32 {
	if i < 0 {
		return zero[:c]
	}
	return x[i*c : (i+1)*c]
}

// gradPairs sets dst[t·F+f] = pair(dyg[2t·F+f], dyg[(2t+1)·F+f]) for
// t < ⌈pix/2⌉, where dyg is dyn (OH, OW, F) laid on rows of WP pixels,
// zero past OW, and a pixel from pix on counts as zero: dy2 of
// weightGrad, as pairRows makes it from padGrad's dyg. zero holds at least
// F zeros.
func (b *Conv2DBF16) gradPairs(dst []uint32, dyn []float32, pix int, zero []float32) {
	cv := b.cv
	f, wp, ow := cv.f, cv.wp, cv.ow
	at := func(p int) int { // dyn's pixel at p on the grid, or -1
		if p >= pix || p%wp >= ow {
			return -1
		}
		return p/wp*ow + p%wp
	}
	for t := 0; 2*t < pix; t++ {
		lo, hi := at(2*t), at(2*t+1)
		d := dst[t*f : (t+1)*f]
		if lo < 0 && hi < 0 {
			clear(d)
			continue
		}
		b.kern.pair(d, pixelOr(dyn, lo, f, zero), pixelOr(dyn, hi, f, zero))
	}
}

// gradPadded sets s.dyp16 to dy padded for dx's convolution: KH-1-PT rows
// above and KW-1-PL columns to the left, (H+KH-1, W+KW-1, F/2) pairs of
// channels, from dyg (dy on xp's grid) or, when nil, dyn. Only the border
// is cleared: the rows of dy overwrite the rest.
func (b *Conv2DBF16) gradPadded(s *bf16ConvScratch, dyn, dyg []float32) {
	cv := b.cv
	g := cv.win
	gh, gw, hf := g.H+g.KH-1, g.W+g.KW-1, cv.f/2
	top, left := g.KH-1-g.PT, g.KW-1-g.PL
	s.dyp16 = fitU(s.dyp16, gh*gw*hf)
	clear(s.dyp16[:top*gw*hf])
	clear(s.dyp16[(top+cv.oh)*gw*hf:])
	for i := 0; i < cv.oh; i++ {
		row := dyn[i*cv.ow*cv.f:][:cv.ow*cv.f]
		if dyg != nil {
			row = dyg[i*cv.wp*cv.f:][:cv.ow*cv.f]
		}
		d := s.dyp16[(i+top)*gw*hf : (i+top+1)*gw*hf]
		clear(d[:left*hf])
		b.kern.cvt(d[left*hf:(left+cv.ow)*hf], row)
		clear(d[(left+cv.ow)*hf:])
	}
}
