package kernel

// The weight gradient of Conv2DBF16 for a tile that wants each row of A
// contiguous along the depth (bf16Kernel.rowsA, the AMX tile). weightGrad
// reads X2 as A with steps of 2C pairs, which such a tile would run on its
// slow fallback; here the roles are swapped: the transposed gradient
//
//	pdwT[f, ky·KW·C + q] += Σ_n Σ_t DY2ₙ[t·F + f] ⊙ X2ₙ[ky·WP·C + q + 2t·C]
//
// takes each sample's DY2, turned to F rows of steps pairs, as A, and its
// X2 as B read in place (rows 2C pairs apart, q contiguous). One sample's
// depth is a few tile steps, too few to pay for loading and storing C, so
// the samples are staged a chunk at a time and each tile sums the chunk's
// samples as depth segments (tileSegs), C read and written once a chunk.
// Each group's pdwT is turned back into its pdw once, after its last
// sample.

// dwtChunkBytes bounds one worker's staged samples (their X2 and turned
// DY2), which every tile of the chunk reads again: half a Xeon core's
// L2 (2 MiB), leaving room for the other half's traffic.
const dwtChunkBytes = 1 << 20

// dwtLayout is how the staged samples lie: DY2 has steps pairs a row,
// padded with zeros to steps16 (whole AMX steps, so the segments need
// no tail); a sample's X2 takes xs pairs (its tiles read up to nr pairs
// past the last window row and 2C a padding step past its last step,
// all zero) and its turned DY2 ds; chunk samples are staged at most.
type dwtLayout struct {
	steps, steps16, xs, ds, chunk int
}

func (b *Conv2DBF16) dwtLayout() dwtLayout {
	cv := b.cv
	var l dwtLayout
	l.steps = (cv.oh*cv.wp - (cv.win.KW - 1) + 1) / 2
	l.steps16 = ceilDiv(l.steps, 16) * 16
	l.xs = b.x2Len() + b.kern.nr + (l.steps16-l.steps)*2*cv.c
	l.ds = cv.f * l.steps16
	l.chunk = min(max(1, dwtChunkBytes/(4*(l.xs+l.ds))), ceilDiv(cv.n, cv.groups))
	return l
}

// stageDWT stages one sample for the transposed weight gradient (the
// arguments are weightGrad's) and adds the chunk to pdwT (F, KH·KW·C)
// once it is full; flushDWT adds what is left at the end of a group.
func (b *Conv2DBF16) stageDWT(s *bf16ConvScratch, pdwT, xn, dyn, dyg []float32) {
	cv, l := b.cv, b.dwtLayout()
	s.x2c, s.dy2tc = fitU(s.x2c, l.chunk*l.xs), fitU(s.dy2tc, l.chunk*l.ds)
	x2 := s.x2c[s.staged*l.xs : (s.staged+1)*l.xs]
	n := b.x2Len()
	b.pixelPairs(x2[:n], xn, s.zero)
	clear(x2[n:]) // read by the padding steps and the tiles' spare columns
	b.dyPairs(s, dyn, dyg)
	dt := s.dy2tc[s.staged*l.ds : (s.staged+1)*l.ds]
	b.kern.transpose(dt, l.steps16, s.dy2, cv.f, l.steps, cv.f)
	for f := range cv.f {
		clear(dt[f*l.steps16+l.steps : (f+1)*l.steps16])
	}
	if s.staged++; s.staged == l.chunk {
		b.flushDWT(s, pdwT)
	}
}

// flushDWT adds the staged samples' transposed gradient to pdwT.
func (b *Conv2DBF16) flushDWT(s *bf16ConvScratch, pdwT []float32) {
	if s.staged == 0 {
		return
	}
	cv, l := b.cv, b.dwtLayout()
	c, f, kh, kw, wp := cv.c, cv.f, cv.win.KH, cv.win.KW, cv.wp
	kern := b.kern
	mr, nr := kern.mr, kern.nr
	rowK := kw * c
	k := kh * rowK
	for ky := 0; ky < kh; ky++ {
		x2 := s.x2c[ky*wp*c:]
		for f0 := 0; f0 < f; f0 += mr {
			for q0 := 0; q0 < rowK; q0 += nr {
				kern.tileSegs(s.staged, l.ds, l.xs, l.steps16, s.dy2tc[f0*l.steps16:], l.steps16, x2[q0:], 2*c,
					pdwT[f0*k+ky*rowK+q0:], k, 1, min(mr, f-f0), min(nr, rowK-q0))
			}
		}
	}
	s.staged = 0
}
