package kernel

// The weight gradient of Conv2DBF16 for a tile that wants each row of A
// contiguous along the depth (bf16Kernel.rowsA, the AMX tile). weightGrad
// reads X2 as A with steps of 2C pairs, which such a tile would run on its
// slow fallback; here the roles are swapped: the transposed gradient
//
//	pdwT[f, ky·KW·C + q] += Σ_t DY2[t·F + f] ⊙ X2[ky·WP·C + q + 2t·C]
//
// takes DY2, turned to F rows of steps pairs, as A, and X2 as B read in
// place (rows 2C pairs apart, q contiguous). Each group's pdwT is turned
// back into its pdw once, after its last sample. The sums are the same
// products in the same order along t as weightGrad's, one tile's order.

// weightGradT adds one sample's transposed weight gradient to pdwT
// (F, KH·KW·C); the arguments are weightGrad's.
func (b *Conv2DBF16) weightGradT(s *bf16ConvScratch, pdwT, xn, dyn, dyg []float32) {
	cv := b.cv
	c, f, kh, kw, wp := cv.c, cv.f, cv.win.KH, cv.win.KW, cv.wp
	kern := b.kern
	mr, nr := kern.mr, kern.nr
	// A tile's columns reach up to nr pairs past the last window row: those
	// past KW·C read what is there and are not stored.
	steps := b.dwPairs(s, xn, dyn, dyg, nr)
	s.dy2t = fitU(s.dy2t, f*steps)
	kern.transpose(s.dy2t, steps, s.dy2, f, steps, f)
	rowK := kw * c
	k := kh * rowK
	for ky := 0; ky < kh; ky++ {
		x2 := s.x2[ky*wp*c:]
		for f0 := 0; f0 < f; f0 += mr {
			for q0 := 0; q0 < rowK; q0 += nr {
				kern.tile(steps, s.dy2t[f0*steps:], steps, 1, x2[q0:], 2*c, pdwT[f0*k+ky*rowK+q0:], k, 1, 1, min(mr, f-f0), min(nr, rowK-q0))
			}
		}
	}
}
