package kernel

import "sync"

// ConvScratch is the working memory of Conv2D passes: one set of block
// buffers per worker inside a pass, each sized to a block of rows (or one
// sample, on the shifted path), never to the batch. A Conv2D makes its own;
// convolutions that never run at the same time, such as the ops of one
// plan, share one with ShareScratch, so that the plan holds one worker set
// sized to its largest convolution instead of one set per convolution.
// The buffers are made at the largest size any member needs, so once every
// member has run a pass nothing more is allocated.
type ConvScratch struct {
	free      freeList[convScratch]
	mu        sync.Mutex
	fwd, bwd  convNeed // the largest needs of the members
	allocated int64    // values made, for tests
}

// NewConvScratch returns an empty scratch for ShareScratch.
func NewConvScratch() *ConvScratch { return &ConvScratch{} }

// ShareScratch makes cv take its block buffers from s, which other
// convolutions may share as long as no two of them run at the same time.
func (cv *Conv2D) ShareScratch(s *ConvScratch) {
	cv.scratch = s
	s.mu.Lock()
	s.fwd = s.fwd.max(cv.need(false))
	s.bwd = s.bwd.max(cv.need(true))
	s.mu.Unlock()
}

// convScratch is one worker's block buffers. On the shifted path, xp
// holds padded input rows, dy the output gradient on xp's grid and dcols
// the output gradient padded for dx. Each is cut to the length the
// running convolution needs (getScratch, fitBackward); its capacity is the
// largest need of the sharing convolutions.
type convScratch struct {
	cols, dcols, dy, xp []float32
	band                []float32 // bandConv's interleaved rows
	wv, wm              []float32 // the Winograd path's transformed input and products
	dym                 []float32 // dy masked by the ReLU, for the GEMM dx
	acc                 []float32 // columnSums' accumulator
	lag                 []float32 // laggedDW's sums of one sample
	dbn                 []float32 // one sample's output gradient from a BNGrad
	dz                  []float32 // one sample's dz of a BNGrad made from its Pool
	dzn                 []float32 // dz[:sample] while the sample has one, else nil
}

// convNeed is how many values each buffer of a convScratch must hold.
type convNeed struct{ cols, dcols, dy, xp, band, dym, acc, wv, wm, lag, dbn, dz int }

func (a convNeed) max(b convNeed) convNeed {
	return convNeed{max(a.cols, b.cols), max(a.dcols, b.dcols), max(a.dy, b.dy), max(a.xp, b.xp),
		max(a.band, b.band), max(a.dym, b.dym), max(a.acc, b.acc), max(a.wv, b.wv), max(a.wm, b.wm),
		max(a.lag, b.lag), max(a.dbn, b.dbn), max(a.dz, b.dz)}
}

// need is what cv's forward pass, or with backward both passes, read and
// write in one worker's scratch.
func (cv *Conv2D) need(backward bool) convNeed {
	var n convNeed
	if cv.affine && !backward {
		n = cv.needAffine()
	}
	if !cv.shifted {
		pix := cv.rb * cv.ow
		if !cv.direct { // a 1×1 window reads x and writes dx in place
			n.cols = pix * cv.k
			if backward {
				n.dcols = pix * cv.k
			}
		}
		if backward {
			n.dy, n.acc = pix*cv.f, convBiasReps*cv.f
		}
		return n
	}
	n.xp = max(n.xp, cv.hp*cv.wp*cv.c)
	cv.winoNeed(&n, backward)
	n.band = (cv.ow + cv.win.KW - 1) * cv.c * cv.win.KH
	if backward {
		n.band = max(n.band, (cv.win.W+cv.win.KW-1)*cv.f*cv.win.KH)
		n.acc = convBiasReps * cv.f
		n.dy = cv.oh * cv.wp * cv.f
		if cv.dwLagShape() { // laggedDW's sums, and the zeros before dy
			n.lag = cv.k * cv.f
			n.dy += (cv.win.KW - 1) * cv.f
		}
		n.dcols = ((cv.win.H+cv.win.KH-1)*(cv.win.W+cv.win.KW-1) + cv.win.KW) * cv.f
		n.dbn, n.dz = cv.oh*cv.ow*cv.f, cv.oh*cv.ow*cv.f
		if cv.gemmDX() { // dpatches and the masked dy of one sample
			n.cols, n.dym = cv.oh*cv.ow*cv.k, cv.oh*cv.ow*cv.f
		}
	}
	return n
}

// needAffine is what ForwardAffine reads and writes in one worker's
// scratch: a sample's padded rows (the direct tile), or a sample's padded
// tiles, transformed tiles and products (Winograd).
func (cv *Conv2D) needAffine() convNeed {
	var n convNeed
	if cv.wino != nil {
		th, tw := cv.winoTiles()
		n.xp = (2*th + 2) * cv.winoPadWidth() * cv.c
		n.wv, n.wm = 16*th*tw*cv.c, 16*th*tw*cv.f
	} else if cv.tile != nil && cv.padded {
		n.xp = cv.hp * cv.wp * cv.c
	}
	return n
}

// useAffine adds ForwardAffine's needs to the scratch on its first call,
// so that convolutions that never run it (a training plan's) hold no
// buffers for it.
func (cv *Conv2D) useAffine() {
	if cv.affine {
		return
	}
	cv.affine = true
	sc := cv.scratch
	sc.mu.Lock()
	sc.fwd = sc.fwd.max(cv.needAffine())
	sc.mu.Unlock()
}

// getScratch takes a worker's buffers, cut to what cv's forward pass uses.
func (cv *Conv2D) getScratch() *convScratch {
	sc := cv.scratch
	s := sc.free.get()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	need, most := cv.need(false), sc.fwd
	s.cols = sc.fit(s.cols, need.cols, most.cols)
	s.xp = sc.fit(s.xp, need.xp, most.xp)
	s.band = sc.fit(s.band, need.band, most.band)
	s.wv = sc.fit(s.wv, need.wv, most.wv)
	s.wm = sc.fit(s.wm, need.wm, most.wm)
	return s
}

// fitBackward cuts (or first makes) the buffers cv's backward pass uses.
func (cv *Conv2D) fitBackward(s *convScratch) {
	sc := cv.scratch
	sc.mu.Lock()
	defer sc.mu.Unlock()
	need, most := cv.need(true), sc.bwd
	s.cols = sc.fit(s.cols, need.cols, most.cols)
	s.dcols = sc.fit(s.dcols, need.dcols, most.dcols)
	s.dy = sc.fit(s.dy, need.dy, most.dy)
	s.band = sc.fit(s.band, need.band, most.band)
	s.dym = sc.fit(s.dym, need.dym, most.dym)
	s.acc = sc.fit(s.acc, need.acc, most.acc)
	s.lag = sc.fit(s.lag, need.lag, most.lag)
	s.dbn = sc.fit(s.dbn, need.dbn, most.dbn)
	s.dz = sc.fit(s.dz, need.dz, most.dz)
	s.wv = sc.fit(s.wv, need.wv, most.wv)
	s.wm = sc.fit(s.wm, need.wm, most.wm)
}

// fit returns b cut to n values, made anew with room for most when it is
// too small. Callers hold sc.mu.
func (sc *ConvScratch) fit(b []float32, n, most int) []float32 {
	if n == 0 {
		return b[:0]
	}
	if cap(b) < n {
		b = make([]float32, max(n, most))
		sc.allocated += int64(cap(b))
	}
	return b[:n]
}

func (cv *Conv2D) putScratch(s *convScratch) { cv.scratch.free.put(s) }
