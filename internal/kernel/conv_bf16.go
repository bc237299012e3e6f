package kernel

// Conv2DBF16 is Conv2D with bfloat16 products (GemmBF16's rounding and
// float32 accumulation) in all three passes, for the stride-1
// convolutions of the shifted-window path (conv_shifted.go) whose filters
// come in an even number. It runs that path's arithmetic on bfloat16
// pairs read in place:
//
//   - forward: x, padded, becomes one bfloat16 image per sample whose
//     pixels are pairs of channels (a zero channel added when C is odd),
//     which the tiles read in place, a pixel's window row a row of A, the
//     kernel rows depth segments of one tile call (rows); the kernel is
//     packed into pairs of rows;
//   - dx: the convolution of dy padded by the window, rotated kernel, as
//     Conv2D's shifted dx, with dy as an image of channel pairs;
//   - dw: the depth is the pixels, so pairs join neighbouring pixels: the
//     padded sample becomes X2[e] = (xp[e], xp[e+C]) for every value e,
//     which the tiles read in place (rows 1 pair apart, steps of 2C), and
//     dy on xp's grid becomes pairs of pixel rows; for a tile that wants
//     A's pairs contiguous (AMX) the product is turned around, a chunk of
//     samples at a time (conv_bf16_dwt.go).
//
// Weights, gradients and outputs stay float32. Samples are independent
// units of work (forward) and the backward pass sums weight gradients per
// fixed batch group, so results are bit-identical on any number of
// workers. Like Conv2D it allocates nothing once both passes have run.
type Conv2DBF16 struct {
	cv   *Conv2D // the geometry, and its padding and bias helpers
	kern *bf16Kernel
	cp   int // channels as packed for the forward pass: C rounded up to even
	kdw  int // pairs per kernel row: forward KW·cp/2
	kdx  int // dx's: KW·F/2

	wPad      []float32 // w with its zero channel, (KH,KW,cp,F), when C is odd
	wPack     []uint32  // per column panel and kernel row, kdw×nr pairs
	wFlip     []float32 // the kernel of dx, (KH,KW,F,C)
	wFlipPack []uint32  // likewise, kdx×nr pairs
	x2Segs    []pairSeg // the runs of pixelPairs and gradPairs (setPairSegs)
	dy2Segs   []pairSeg
	partDW    [][]float32
	partDB    [][]float32
	partDWT   [][]float32 // per group, (F, K): stageDWT's sums

	scratch freeList[bf16ConvScratch] // the workers' buffers

	fwd bf16ConvForward
	bwd bf16ConvBackward
}

// NewConv2DBF16 returns the bfloat16 form of cv (built by NewConv2D), or
// nil when its geometry has none: a stride other than 1, a padding as
// large as the window, a 1×1 window, an odd number of filters, or window
// rows shorter than 16 values (KW·C; a first layer on one channel), whose
// tiles would step only KW pairs deep between loading and storing C, where
// Conv2D's band path is faster in float32 than pairs are. It uses cv's
// geometry and helpers; cv itself is not run.
func NewConv2DBF16(cv *Conv2D) *Conv2DBF16 {
	if !shiftedOK(cv.win) || cv.f%2 != 0 || cv.win.KW*cv.c < shiftMinRow {
		return nil
	}
	b := &Conv2DBF16{cv: cv, kern: activeBF16, cp: cv.c + cv.c%2}
	b.kdw = cv.win.KW * b.cp / 2
	b.kdx = cv.win.KW * cv.f / 2
	b.fwd.b, b.bwd.b = b, b
	return b
}

// bf16ConvScratch is one worker's buffers, each made at its first use:
// xb the bfloat16 image of a padded sample, x2 the padded sample's pixel
// pairs, dyg/dy2 dy on xp's grid and its pixel pairs, dyp16 dy padded for
// dx in pairs of channels; zero holds max(C, F) zeros; grid holds rows'
// sums; row, xm, dbn and dzn are conv_bf16_norm.go's.
type bf16ConvScratch struct {
	xb, x2, dy2, dyp16 []uint32
	x2c, dy2tc         []uint32 // samples staged for the weight gradient (stageDWT)
	staged             int
	dyg, acc, zero     []float32
	grid               []float32
	row, xm, dbn, dzn  []float32 // the input mapped (a row, a sample), dy and dz from a BNGrad
}

func (b *Conv2DBF16) getScratch() *bf16ConvScratch {
	s := b.scratch.get()
	if s.zero == nil { // a new one
		s.zero = make([]float32, max(b.cv.c, b.cv.f))
	}
	return s
}

func (b *Conv2DBF16) putScratch(s *bf16ConvScratch) { b.scratch.put(s) }

// fitU and fitF return s cut to n values, made anew when too short.
func fitU(s []uint32, n int) []uint32 {
	if cap(s) < n {
		return make([]uint32, n)
	}
	return s[:n]
}

func fitF(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// packKernel sets dst to w, (KH, KW·ci, co) as rows of co values, in
// pairs of rows: for column panel p of nr and kernel row ky, kd = KW·ci/2
// steps of nr pairs, (p·KH + ky)·kd·nr onwards. Columns past co in the
// last panel are not written; a tile may read them, but never stores
// what they give.
func (b *Conv2DBF16) packKernel(dst []uint32, w []float32, ci, co int) []uint32 {
	kh, nr := b.cv.win.KH, b.kern.nr
	rowK := b.cv.win.KW * ci
	kd := rowK / 2
	dst = fitU(dst, ceilDiv(co, nr)*kh*kd*nr)
	for p := 0; p*nr < co; p++ {
		cols := min(nr, co-p*nr)
		for ky := 0; ky < kh; ky++ {
			pairRows(b.kern, dst[(p*kh+ky)*kd*nr:], nr, w[ky*rowK*co+p*nr:], co, cols, rowK, nil)
		}
	}
	return dst
}

// Forward is Conv2D.Forward with bfloat16 products: y = act(conv(x, w) +
// bias), x (N,H,W,C), w (KH,KW,C,F), bias (F) or nil, y (N,OH,OW,F).
func (b *Conv2DBF16) Forward(y, x, w, bias []float32, relu bool) {
	cv := b.cv
	cv.checkForward(y, x, w, bias)
	bias = cv.setBias(bias)
	if b.cp != cv.c { // a zero channel after the last: pairs never straddle pixels
		b.wPad = fitF(b.wPad, cv.win.KH*cv.win.KW*b.cp*cv.f)
		for r := 0; r < cv.win.KH*cv.win.KW; r++ {
			copy(b.wPad[r*b.cp*cv.f:], w[r*cv.c*cv.f:(r+1)*cv.c*cv.f])
			clear(b.wPad[(r*b.cp+cv.c)*cv.f : (r+1)*b.cp*cv.f])
		}
		w = b.wPad
	}
	b.wPack = b.packKernel(b.wPack, w, b.cp, cv.f)
	j := &b.fwd
	j.y, j.x, j.bias, j.relu = y, x, bias, relu
	if cv.stats != nil {
		cv.stats.start(y)
	}
	perSample := cv.oh * cv.ow * cv.k * cv.f
	Parallel(cv.n, max(1, convMinChunk/perSample), j)
	j.y, j.x, j.bias = nil, nil, nil
}

type bf16ConvForward struct {
	b    *Conv2DBF16
	y, x []float32
	bias []float32
	relu bool
}

// Run computes samples [lo, hi).
func (j *bf16ConvForward) Run(lo, hi int) {
	b := j.b
	cv := b.cv
	s := b.getScratch()
	in, out := cv.win.H*cv.win.W*cv.c, cv.oh*cv.ow*cv.f
	for n := lo; n < hi; n++ {
		b.image(s, j.x[n*in:(n+1)*in])
		yn := j.y[n*out : (n+1)*out]
		b.rows(s, yn, s.xb, cv.wp, cv.oh, cv.ow, b.cp/2, b.kdw, b.wPack, cv.f, rowsSet)
		biasAct(yn, j.bias, j.relu)
		if cv.stats != nil {
			cv.stats.written(n)
		}
	}
	b.putScratch(s)
}

// image sets s.xb to sample xn (H,W,C) padded as the window asks, in
// bfloat16 pairs of channels, (HP, WP, cp/2).
func (b *Conv2DBF16) image(s *bf16ConvScratch, xn []float32) {
	cv := b.cv
	g, c, hc := cv.win, cv.c, b.cp/2
	rowLen := cv.wp * hc
	s.xb = fitU(s.xb, cv.hp*rowLen)
	for r := 0; r < cv.hp; r++ {
		d := s.xb[r*rowLen : (r+1)*rowLen]
		iy := r - g.PT
		if iy < 0 || iy >= g.H {
			clear(d)
			continue
		}
		clear(d[:g.PL*hc])
		clear(d[(g.PL+g.W)*hc:])
		src, in := xn[iy*g.W*c:(iy+1)*g.W*c], d[g.PL*hc:(g.PL+g.W)*hc]
		if m := cv.in; m != nil { // SetInputAffine
			s.row = fitF(s.row, g.W*c)
			channelMap(s.row, src, m.scale, m.shift, g.W, c, m.relu)
			src = s.row
		}
		if c == b.cp {
			b.kern.cvt(in, src)
			continue
		}
		for px := 0; px < g.W; px++ { // odd C: each pixel ends with a zero
			b.kern.cvt(in[px*hc:(px+1)*hc], src[px*c:(px+1)*c])
		}
	}
}

// rows computes a stride-1 valid convolution over pairs, in the manner of
// shiftedConv: for i < oh, j < ow, f < co,
//
//	out[(i·ow + j)·co + f] = Σ_ky Σ_{q<kd} src[((i+ky)·gw + j)·pc + q] ⊙ wt(ky, q, f)
//
// where ⊙ is the tile's pair product, src is a grid of gw = ow+KW-1
// pixels a row, pc pairs each, and wt is packed by packKernel (kd pairs
// per kernel row). The tiles run over the grid's pixels, not the output's:
// along the grid the windows of every pixel are pc pairs apart, across
// rows too, so a tile takes mr pixels whatever ow is (the KW-1 a row
// whose windows wrap around go to s.grid and no further), and the kernel
// rows are depth segments a grid row apart, summed in one tile call.
// mode says how out is written, as for convRows.
func (b *Conv2DBF16) rows(s *bf16ConvScratch, out []float32, src []uint32, gw, oh, ow, pc, kd int, wt []uint32, co int, mode rowsWrite) {
	kern, kh := b.kern, b.cv.win.KH
	mr, nr := kern.mr, kern.nr
	m := (oh-1)*gw + ow // the last output pixel's window ends src
	s.grid = fitF(s.grid, m*co)
	for p0 := 0; p0 < m; p0 += mr {
		for p := 0; p*nr < co; p++ {
			kern.tileSegs(kh, gw*pc, kd*nr, kd, src[p0*pc:], pc, wt[p*kh*kd*nr:], nr, s.grid[p0*co+p*nr:], co, 0, min(mr, m-p0), min(nr, co-p*nr))
		}
	}
	for i := range oh {
		o, g := out[i*ow*co:(i+1)*ow*co], s.grid[i*gw*co:(i*gw+ow)*co]
		switch mode {
		case rowsSet:
			copy(o, g)
		case rowsFresh: // what rowsAdd gives on zeros, -0 sums included
			clear(o)
			fallthrough
		default:
			AddTo(o, g)
		}
	}
}

// Backward is Conv2D.Backward with bfloat16 products: given dy
// (N,OH,OW,F) it adds the gradients to dx (N,H,W,C), dw (KH,KW,C,F) and
// db (F), or sets those the Conv2D's SetGrads says, any of them nil to
// skip it; x, w and, with relu, y are those of the last Forward.
func (b *Conv2DBF16) Backward(dx, dw, db, dy, x, w, y []float32, relu bool) {
	b.cv.checkBackward("Conv2DBF16.Backward", dx, dw, db, dy, x, w, y, relu)
	b.backward(dx, dw, db, dy, x, w, y, relu, nil)
}

// backward is Backward's and BackwardBN's pass, dy given by bn when not
// nil.
func (b *Conv2DBF16) backward(dx, dw, db, dy, x, w, y []float32, relu bool, bn *BNGrad) {
	cv := b.cv
	if dx == nil && dw == nil && db == nil {
		return
	}
	b.setPairSegs()
	if b.partDW == nil {
		b.partDW, b.partDB = make([][]float32, cv.groups), make([][]float32, cv.groups)
		for g := range cv.groups {
			b.partDW[g], b.partDB[g] = make([]float32, cv.k*cv.f), make([]float32, cv.f)
		}
		if b.kern.rowsA {
			b.partDWT = make([][]float32, cv.groups)
			for g := range cv.groups {
				b.partDWT[g] = make([]float32, cv.k*cv.f)
			}
		}
	}
	if dx != nil {
		b.wFlip = fitF(b.wFlip, cv.k*cv.f)
		flipWeights(b.wFlip, w, cv.win.KH, cv.win.KW, cv.c, cv.f)
		b.wFlipPack = b.packKernel(b.wFlipPack, b.wFlip, cv.f, cv.c)
	}
	j := &b.bwd
	j.convGrads = convGrads{dx, dw, db, dy, x, y, relu, bn}
	cv.runGroups(j, dw, db, b.partDW, b.partDB)
	*j = bf16ConvBackward{b: b}
}

type bf16ConvBackward struct {
	b *Conv2DBF16
	convGrads
}

// Run handles groups [lo, hi): group g is samples [g·N/G, (g+1)·N/G).
func (j *bf16ConvBackward) Run(lo, hi int) {
	b := j.b
	cv := b.cv
	s := b.getScratch()
	for g := lo; g < hi; g++ {
		pdw, pdb := b.partDW[g], b.partDB[g]
		if b.partDWT != nil && j.dw != nil {
			pdw = b.partDWT[g] // turned into partDW[g] below
		}
		clear(pdw)
		clear(pdb)
		for n := g * cv.n / cv.groups; n < (g+1)*cv.n/cv.groups; n++ {
			j.sample(s, pdw, pdb, n)
		}
		b.flushDWT(s, pdw)
		if b.partDWT != nil && j.dw != nil {
			interleave(b.partDW[g], cv.f, pdw, cv.k, cv.f, cv.k)
		}
	}
	b.putScratch(s)
}

// sample does the backward pass of sample n into the group sums pdw and
// pdb and into dx.
func (j *bf16ConvBackward) sample(s *bf16ConvScratch, pdw, pdb []float32, n int) {
	b := j.b
	cv := b.cv
	g := cv.win
	in, out := g.H*g.W*cv.c, cv.oh*cv.ow*cv.f
	var dyn []float32
	if j.bn != nil {
		dyn = b.bnGrad(s, j.bn, n)
	} else {
		dyn = j.dy[n*out : (n+1)*out]
	}
	xn := b.input(s, j.x[n*in:(n+1)*in], j.dw != nil)
	var yn []float32
	if j.relu {
		yn = j.y[n*out : (n+1)*out]
	}
	// dy masked by the ReLU, on xp's grid (rows of WP pixels, zero past
	// OW): what db sums (in that order), and what dw and dx read in
	// place of dy when there is a ReLU.
	var dyg []float32
	if j.relu || j.db != nil {
		s.dyg = fitF(s.dyg, cv.oh*cv.wp*cv.f)
		dyg = cv.padGrad(s.dyg, dyn, yn, j.relu, cv.oh, cv.wp, 0, 0)
	}
	if j.db != nil {
		s.acc = fitF(s.acc, convBiasReps*cv.f)
		columnSums(pdb, dyg, cv.oh*cv.wp, cv.f, s.acc)
	}
	switch {
	case j.dw != nil && b.partDWT != nil:
		b.stageDWT(s, pdw, xn, dyn, dyg)
	case j.dw != nil:
		b.weightGrad(s, pdw, xn, dyn, dyg)
	}
	if j.dx != nil {
		gw, hf := g.W+g.KW-1, cv.f/2
		b.gradPadded(s, dyn, dyg)
		b.rows(s, j.dx[n*in:(n+1)*in], s.dyp16, gw, g.H, g.W, hf, b.kdx, b.wFlipPack, cv.c, cv.set.dxWrite())
		if cv.runs != nil { // sample n's dx is whole, and in cache
			cv.runs.Sample(n, j.dx[n*in:(n+1)*in])
		}
	}
}

// dwPairs sets s.x2 to X2 and s.dy2 to DY2 (see weightGrad) for sample
// xn and its dy (dyg, or dyn where dyg is nil) and returns DY2's steps.
func (b *Conv2DBF16) dwPairs(s *bf16ConvScratch, xn, dyn, dyg []float32) (steps int) {
	s.x2 = fitU(s.x2, b.x2Len())
	b.pixelPairs(s.x2, xn, s.zero)
	return b.dyPairs(s, dyn, dyg)
}

// x2Len is the pairs of X2: the padded grid's, and one pixel past it,
// which X2 reads (xp is zero there).
func (b *Conv2DBF16) x2Len() int { return (b.cv.hp*b.cv.wp + 1) * b.cv.c }

// dyPairs sets s.dy2 to DY2 and returns its steps.
func (b *Conv2DBF16) dyPairs(s *bf16ConvScratch, dyn, dyg []float32) (steps int) {
	cv := b.cv
	f := cv.f
	pix := cv.oh*cv.wp - (cv.win.KW - 1)
	steps = (pix + 1) / 2
	s.dy2 = fitU(s.dy2, steps*f)
	if dyg != nil {
		pairRows(b.kern, s.dy2, f, dyg, f, f, pix, s.zero)
	} else {
		b.gradPairs(s.dy2, dyn, s.zero)
	}
	return steps
}

// weightGrad adds to pdw (KH, KW·C, F) the weight gradient of one sample,
// shiftedDW's sum over the pixels p of xp's grid taken two pixels a step:
//
//	pdw[ky, q, f] += Σ_t X2[ky·WP·C + q + 2t·C] ⊙ DY2[t·F + f]
//
// with X2[e] = (xp[e], xp[e+C]) and DY2[t·F+f] = (dyg[2t·F+f], dyg[(2t+1)·F+f]),
// over the oh·WP-(KW-1) pixels whose windows lie in xp (the rest of dyg
// is zero; a last odd pixel pairs with zero). dyg is dy on xp's grid, or
// nil to read dyn (OH, OW, F) in its place.
func (b *Conv2DBF16) weightGrad(s *bf16ConvScratch, pdw, xn, dyn, dyg []float32) {
	cv := b.cv
	c, f, kh, kw, wp := cv.c, cv.f, cv.win.KH, cv.win.KW, cv.wp
	steps := b.dwPairs(s, xn, dyn, dyg)
	rowK := kw * c
	mr := ceilDiv(rowK, ceilDiv(rowK, b.kern.mr)) // equal row blocks, as shiftedDW
	nr := b.kern.nr
	for ky := 0; ky < kh; ky++ {
		a := s.x2[ky*wp*c:]
		for r0 := 0; r0 < rowK; r0 += mr {
			rr := min(mr, rowK-r0)
			for f0 := 0; f0 < f; f0 += nr {
				b.kern.tile(steps, a[r0:], 1, 2*c, s.dy2[f0:], f, pdw[(ky*rowK+r0)*f+f0:], f, 1, 1, rr, min(nr, f-f0))
			}
		}
	}
}
