package kernel

// Setting the gradients instead of adding into them. A training plan used
// to zero every gradient buffer before its backward pass, so that each op
// could add into it; when a convolution is the first to write a gradient
// (its input's, most often), that zeroing is a pass of its own over
// memory: for the 128×28×28×32 input gradients of the zoo's best network,
// 12.25 MiB written, then read back by the convolution. SetGrads lets the
// plan skip it.
//
// Setting must give the bits that adding into +0 zeros gives. The tiles'
// beta 0 does not quite: a tile's sum is formed by FMAs from +0, and a
// product too small for float32 rounds to -0 in an FMA, so a sum of such
// products is -0 where +0 + (-0) would be +0. Hence Backward never relies
// on beta 0 for a gradient: it clears each piece of the gradient right
// before its first addition into it (a row of dx on the shifted path, the
// rows of x a block of output rows is the first to reach on the im2col
// path, the summed weight and bias gradients), so that every value is
// formed exactly as before, while the clearing only touches memory the
// additions are about to bring into the cache anyway.

// convSet says which gradients Backward sets instead of adding into.
type convSet struct{ dx, dw, db bool }

// SetGrads makes the following Backward calls set each gradient flagged
// (dx, dw, db) instead of adding into it, and add into the others, as
// Backward does by default. A set gradient gets the bits that adding into
// a buffer of +0 would give, in every element (+0 in the cells of dx that
// no window reaches); its old contents, NaN included, are never read. It
// is for a training plan whose convolution writes a gradient first: the
// plan then need not zero it. Conv2DBF16 built on cv follows cv's flags.
func (cv *Conv2D) SetGrads(dx, dw, db bool) { cv.set = convSet{dx, dw, db} }

// addGroups adds the batch groups' weight and bias sums into dw and db in
// group order (whoever computed them), first clearing whichever of the
// two s sets; nil skips one.
func (s convSet) addGroups(dw, db []float32, partDW, partDB [][]float32) {
	if dw != nil && s.dw {
		clear(dw)
	}
	if db != nil && s.db {
		clear(db)
	}
	for g := range partDW {
		if dw != nil {
			AddTo(dw, partDW[g])
		}
		if db != nil {
			AddTo(db, partDB[g])
		}
	}
}

// clearFresh clears, in one sample's dx (H,W,C), the rows that output
// rows [i0, i1) are the first to reach, blocks of output rows running in
// order: from the end of the previous block's windows (row 0 for the
// first block) to the end of this block's, or to the last row when i1 is
// the last output row, so that the blocks together clear every row once,
// those no window reaches included, each before Col2im first adds to it.
func (cv *Conv2D) clearFresh(dxn []float32, i0, i1 int) {
	g := cv.win
	reach := func(i int) int { // rows [0, reach(i)) hold the windows of output rows < i
		return min(g.H, max(0, (i-1)*g.SH-g.PT+g.KH))
	}
	lo, hi := 0, g.H
	if i0 > 0 {
		lo = reach(i0)
	}
	if i1 < cv.oh {
		hi = reach(i1)
	}
	if lo < hi {
		row := g.W * cv.c
		clear(dxn[lo*row : hi*row])
	}
}

// rowsWrite is how convRows and Conv2DBF16.rows write their output.
type rowsWrite uint8

const (
	// rowsSet overwrites out: the first kernel row's tiles run with beta
	// 0 (the forward pass, where a -0 is as good as a +0).
	rowsSet rowsWrite = iota
	// rowsAdd adds into out: every tile runs with beta 1.
	rowsAdd
	// rowsFresh sets out to what rowsAdd gives on zeros: each output row
	// is cleared right before its tiles add into it.
	rowsFresh
)

// beta is the first kernel row's beta.
func (m rowsWrite) beta() float32 {
	if m == rowsSet {
		return 0
	}
	return 1
}

// dxWrite is how the backward pass writes dx by convRows.
func (s convSet) dxWrite() rowsWrite {
	if s.dx {
		return rowsFresh
	}
	return rowsAdd
}
