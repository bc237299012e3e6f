package kernel

import "fmt"

// The backward pass of Conv2D: the job that runs over batch groups, and
// the im2col path's blocks of output rows (the shifted path's samples are
// in conv_shifted.go).

// Backward adds the gradients of Forward's loss: given dy (N,OH,OW,F), the
// gradient of y, it computes dx += ∂/∂x (N,H,W,C), dw += ∂/∂w (KH,KW,C,F)
// and db += ∂/∂bias (F), or sets those SetGrads says; any of the three may
// be nil to skip it. x and w are the inputs of the last Forward. With
// relu, y must be that Forward's output: the gradient flows only where
// y > 0.
func (cv *Conv2D) Backward(dx, dw, db, dy, x, w, y []float32, relu bool) {
	cv.checkBackward("Conv2D.Backward", dx, dw, db, dy, x, w, y, relu)
	cv.backward(dx, dw, db, dy, x, w, y, relu, nil)
}

// checkBackward panics unless Backward's operands (Conv2D's or
// Conv2DBF16's) fit the convolution; op names the caller.
func (cv *Conv2D) checkBackward(op string, dx, dw, db, dy, x, w, y []float32, relu bool) {
	cv.checkLens("Backward", "dx", dx, cv.n*cv.win.H*cv.win.W*cv.c, "dw", dw, cv.k*cv.f, "db", db, cv.f,
		"dy", dy, cv.n*cv.oh*cv.ow*cv.f, "x", x, cv.n*cv.win.H*cv.win.W*cv.c, "w", w, cv.k*cv.f)
	if relu && len(y) != len(dy) {
		panic(fmt.Sprintf("kernel: %s: y has %d elements, want %d", op, len(y), len(dy)))
	}
}

// backward is Backward once the lengths are checked, with the output
// gradient either dy (masked by y when relu) or, when bn is not nil, bn's.
func (cv *Conv2D) backward(dx, dw, db, dy, x, w, y []float32, relu bool, bn *BNGrad) {
	if dx == nil && dw == nil && db == nil {
		return
	}
	cv.backwardBuffers()
	if dw != nil && cv.winoDWOK() {
		cv.winoDWBuffers()
	}
	switch {
	case dx == nil:
	case cv.shifted && !cv.gemmDX():
		flipWeights(cv.wFlip, w, cv.win.KH, cv.win.KW, cv.c, cv.f)
		if cv.winoDXOK() {
			cv.winoBackward()
			break
		}
		if cv.wFlipBand != nil {
			bandWeights(cv.wFlipBand, cv.wFlip, cv.win.KH, cv.win.KW, cv.f, cv.c)
		}
		if nr := cv.kern.nr; cv.win.KW*cv.f >= shiftMinRow && cv.c > nr {
			rows := cv.win.KH * cv.win.KW * cv.f // wFlip is (KH·KW·F, C)
			cv.wFlipPanel = grow(cv.wFlipPanel, ceilDiv(cv.c, nr)*nr*rows)
			panelWeights(cv.wFlipPanel, cv.wFlip, rows, cv.c, nr)
		}
		if pairOK(cv.kern, cv.c, cv.win.W) {
			src, u := cv.wFlip, cv.f
			if cv.wFlipBand != nil {
				src, u = cv.wFlipBand, cv.win.KH*cv.f
			}
			cv.wFlipPair = grow(cv.wFlipPair, cv.win.KH*(cv.win.KW+1)*u*2*cv.c)
			pairWeights(cv.wFlipPair, src, cv.win.KH, cv.win.KW, u, cv.c)
		}
	default: // wT (F, K) = wᵀ, so that dpatches = dy·wT reads B row-major
		// (the im2col path, and the shifted path's GEMM dx)
		cv.wT = grow(cv.wT, cv.f*cv.k)
		transpose(cv.wT, w, cv.k, cv.f)
	}
	j := &cv.bwd
	j.convGrads = convGrads{dx, dw, db, dy, x, y, relu, bn}
	cv.runGroups(j, dw, db, cv.partDW, cv.partDB)
	*j = convBackward{cv: cv}
}

// convGrads are a backward pass's operands, as Backward and BackwardBN
// take them, for the jobs of Conv2D and Conv2DBF16 alike.
type convGrads struct {
	dx, dw, db, dy []float32
	x, y           []float32
	relu           bool
	bn             *BNGrad // the output gradient, when not dy (BackwardBN)
}

// runGroups runs a backward job, its operands set, over the sample groups,
// then adds the groups' partial weight and bias gradients (partDW,
// partDB) to dw and db in group order, so that the sums do not depend on
// the workers.
func (cv *Conv2D) runGroups(j Job, dw, db []float32, partDW, partDB [][]float32) {
	perGroup := ceilDiv(cv.n, cv.groups) * cv.oh * cv.ow * cv.k * cv.f
	Parallel(cv.groups, max(1, convMinChunk/perGroup), j)
	cv.set.addGroups(dw, db, partDW, partDB)
}

type convBackward struct {
	cv *Conv2D
	convGrads
}

// Run handles groups [lo, hi): group g is samples [g·N/G, (g+1)·N/G).
func (j *convBackward) Run(lo, hi int) {
	cv := j.cv
	s := cv.getScratch()
	cv.fitBackward(s)
	for g := lo; g < hi; g++ {
		pdw, pdb := cv.partDW[g], cv.partDB[g]
		clear(pdw)
		clear(pdb)
		sums := pdw // what the samples add their weight gradient to
		if j.dw != nil && cv.winoDWOK() {
			sums = cv.partWM[g]
			clear(sums)
		}
		for n := g * cv.n / cv.groups; n < (g+1)*cv.n/cv.groups; n++ {
			if cv.shifted {
				j.shiftedSample(s, sums, pdb, n)
			} else {
				for b := 0; b < cv.blocks; b++ {
					i0 := b * cv.rb
					i1 := min(cv.oh, i0+cv.rb)
					j.block(s, pdw, pdb, n, i0, i1)
				}
			}
			if cv.runs != nil && j.dx != nil { // sample n's dx is whole, and in cache
				in := cv.win.H * cv.win.W * cv.c
				cv.runs.Sample(n, j.dx[n*in:(n+1)*in])
			}
		}
		if j.dw != nil && cv.winoDWOK() {
			winoDWOut(pdw, sums, cv.c, cv.f)
		}
	}
	cv.putScratch(s)
}

// block does the backward pass of output rows [i0, i1) of sample n.
func (j *convBackward) block(s *convScratch, pdw, pdb []float32, n, i0, i1 int) {
	cv := j.cv
	pix := (i1 - i0) * cv.ow
	first := n*cv.oh*cv.ow + i0*cv.ow
	var dyb []float32
	if j.bn != nil {
		dyb = s.dy[:pix*cv.f]
		j.bn.rows(dyb, nil, first, 0, pix, cv.f)
	} else {
		dyb = j.dy[first*cv.f : (first+pix)*cv.f]
	}
	if j.relu {
		reluMask(s.dy[:len(dyb)], dyb, j.y[first*cv.f:(first+pix)*cv.f])
		dyb = s.dy[:len(dyb)]
	}
	if j.db != nil {
		columnSums(pdb, dyb, pix, cv.f, s.acc)
	}
	if j.dw != nil { // pdw (K, F) += patchesᵀ·dy
		var a []float32
		if cv.kept != nil {
			a = cv.kept[first*cv.k : (first+pix)*cv.k]
		} else {
			a = cv.patches(s.cols, j.x, n, i0, i1)
		}
		gemmInline(cv.kern, true, false, cv.k, cv.f, pix, 1, a, cv.k, dyb, cv.f, 1, pdw, cv.f)
	}
	if j.dx == nil {
		return
	}
	if cv.direct { // the patches are dx's own rows: accumulate straight into them
		fx := n*cv.win.H*cv.win.W + i0*cv.win.W
		dxb := j.dx[fx*cv.c : (fx+pix)*cv.c]
		if cv.set.dx { // not beta 0, which can give -0 (conv_set.go)
			clear(dxb)
		}
		gemmInline(cv.kern, false, false, pix, cv.k, cv.f, 1, dyb, cv.f, cv.wT, cv.k, 1, dxb, cv.k)
		return
	}
	dc := s.dcols[:pix*cv.k]
	gemmInline(cv.kern, false, false, pix, cv.k, cv.f, 1, dyb, cv.f, cv.wT, cv.k, 0, dc, cv.k)
	if cv.set.dx {
		cv.clearFresh(cv.sample(j.dx, n), i0, i1)
	}
	Col2im(cv.sample(j.dx, n), dc, cv.win, cv.c, i0, i1)
}
