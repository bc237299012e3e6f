package kernel

// The backward pass's bfloat16 operands of Conv2DBF16, built straight
// from one sample's x and dy. They equal what padding x (padRows) or
// laying dy on the padded grid (padGrad) and then converting gave, value
// for value, without those float32 copies (7 % and 3 % of the profile of
// best's 14×14×64 backward pass; 1.5–2 % of its time once removed).

// pairSeg is a run of pairs [p, q) of pixels whose low and high halves
// come from pixels lo+i and hi+i (i < q-p) of a sample, -1 for zeros.
// A run with both halves read has lo+1 = hi or is one pixel long; a run
// with one read is one pixel long.
type pairSeg struct{ p, q, lo, hi int32 }

// pairSegs lists as runs the n pairs t whose halves are the pixels at(t)
// returns (indices in a sample, -1 for zero), merging pairs into one run
// while both halves step on by one pixel or both stay zero. It runs once
// per convolution, so that the per-sample loops neither divide nor test
// each pixel.
func pairSegs(n int, at func(t int) (lo, hi int)) []pairSeg {
	var segs []pairSeg
	for t := 0; t < n; {
		lo, hi := at(t)
		q := t + 1
		switch {
		case lo >= 0 && hi == lo+1:
			for q < n {
				l, h := at(q)
				if l != lo+q-t || h != l+1 {
					break
				}
				q++
			}
		case lo < 0 && hi < 0:
			for q < n {
				if l, h := at(q); l >= 0 || h >= 0 {
					break
				}
				q++
			}
		}
		segs = append(segs, pairSeg{int32(t), int32(q), int32(lo), int32(hi)})
		t = q
	}
	return segs
}

// setPairSegs makes, once, the runs of pixelPairs and gradPairs.
func (b *Conv2DBF16) setPairSegs() {
	if b.x2Segs != nil {
		return
	}
	cv := b.cv
	g := cv.win
	xp := func(p int) int { // x's pixel at p on the padded grid, or -1
		r, col := p/cv.wp, p%cv.wp
		iy, ix := r-g.PT, col-g.PL
		if r >= cv.hp || iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
			return -1
		}
		return iy*g.W + ix
	}
	b.x2Segs = pairSegs(cv.hp*cv.wp+1, func(p int) (int, int) { return xp(p), xp(p + 1) })
	pix := cv.oh*cv.wp - (g.KW - 1)
	dy := func(p int) int { // dy's pixel at p on xp's grid, or -1
		if p >= pix || p%cv.wp >= cv.ow {
			return -1
		}
		return p/cv.wp*cv.ow + p%cv.wp
	}
	b.dy2Segs = pairSegs((pix+1)/2, func(t int) (int, int) { return dy(2 * t), dy(2*t + 1) })
}

// pixelPairs sets dst[p·C+i] = pair(xp[p·C+i], xp[(p+1)·C+i]) for the
// HP·WP+1 pixels p of the padded sample xp of xn (x2 of weightGrad), xp
// zero past its grid. zero holds at least C zeros. Runs of pixels whose
// neighbours follow each other in xn (a row's interior; whole rows when
// nothing is padded) are paired in one call.
func (b *Conv2DBF16) pixelPairs(dst []uint32, xn, zero []float32) {
	c := b.cv.c
	for _, sg := range b.x2Segs {
		p, q, lo, hi := int(sg.p), int(sg.q), int(sg.lo), int(sg.hi)
		d := dst[p*c : q*c]
		switch {
		case lo >= 0 && hi >= 0:
			b.kern.pair(d, xn[lo*c:(lo+q-p)*c], xn[hi*c:(hi+q-p)*c])
		case lo < 0 && hi < 0:
			clear(d)
		default:
			b.kern.pair(d, pixelOr(xn, lo, c, zero), pixelOr(xn, hi, c, zero))
		}
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
// t < ⌈pix/2⌉, pix = OH·WP-(KW-1), where dyg is dyn (OH, OW, F) laid on
// rows of WP pixels, zero past OW, and a pixel from pix on counts as
// zero: dy2 of weightGrad, as pairRows makes it from padGrad's dyg. zero
// holds at least F zeros.
func (b *Conv2DBF16) gradPairs(dst []uint32, dyn, zero []float32) {
	f := b.cv.f
	for _, sg := range b.dy2Segs {
		p, q, lo, hi := int(sg.p), int(sg.q), int(sg.lo), int(sg.hi)
		if lo < 0 && hi < 0 {
			clear(dst[p*f : q*f])
			continue
		}
		// Pairs t and t+1 are pixels 2t, 2t+1 and 2t+2, 2t+3: runs hold
		// one pair (at a row's end, maybe two), each its own call.
		for t := p; t < q; t++ {
			b.kern.pair(dst[t*f:(t+1)*f], pixelOr(dyn, lo+t-p, f, zero), pixelOr(dyn, hi+t-p, f, zero))
		}
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
