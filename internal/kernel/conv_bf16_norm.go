package kernel

// Conv2DBF16 takes the same pairings with the batch normalization on
// either side of it as Conv2D (autograd pairs them), each where it
// already holds a sample in its cache: the normalization before it
// applied as it converts its input (SetInputAffine), the statistics of
// the one after it taken as it writes each sample of y (SetOutputStats),
// that one's output gradient made from its sums as each sample's dy is
// read (BackwardBN), and the sums of the one before it taken from each
// sample of dx (Conv2D.SetGradRuns on the Conv2D it was made from). The
// settings live on that Conv2D, which is not run. The values are those
// of the operations run apart, bit for bit.

// SetOutputStats is Conv2D.SetOutputStats: Forward writes whole samples
// on every geometry this form has.
func (b *Conv2DBF16) SetOutputStats(s *BNStats) {
	b.cv.setOutputStats("Conv2DBF16.SetOutputStats", s)
}

// SetInputAffine is Conv2D.SetInputAffine: every read of x converts it
// first, padded or not.
func (b *Conv2DBF16) SetInputAffine(scale, shift []float32, relu bool) {
	b.cv.setInputAffine("Conv2DBF16.SetInputAffine", scale, shift, relu)
}

// BackwardBN is Conv2D.BackwardBN with bfloat16 products: Backward with
// bn's output gradient in place of dy, and no ReLU of its own.
func (b *Conv2DBF16) BackwardBN(dx, dw, db []float32, bn *BNGrad, x, w []float32) {
	b.cv.checkBN("Conv2DBF16.BackwardBN", dx, dw, db, bn, x, w)
	b.backward(dx, dw, db, nil, x, w, nil, false, bn)
}

// bnGrad returns sample n's output gradient (OH, OW, F) made from bn in
// the scratch, dz first made from the pooling's gradient when bn has one.
func (b *Conv2DBF16) bnGrad(s *bf16ConvScratch, bn *BNGrad, n int) []float32 {
	cv := b.cv
	per := cv.oh * cv.ow * cv.f
	s.dbn = fitF(s.dbn, per)
	var dzs []float32
	if bn.Pool != nil {
		s.dzn = fitF(s.dzn, per)
		dzs = bn.Pool.sample(s.dzn, n, cv.oh, cv.ow, cv.f)
	}
	bn.rows(s.dbn, dzs, n*cv.oh*cv.ow, 0, cv.oh*cv.ow, cv.f)
	return s.dbn
}

// input returns sample xn as the weight gradient reads it: through the
// map SetInputAffine set, into the scratch, when there is one and the
// gradient is wanted.
func (b *Conv2DBF16) input(s *bf16ConvScratch, xn []float32, want bool) []float32 {
	m := b.cv.in
	if m == nil || !want {
		return xn
	}
	s.xm = fitF(s.xm, len(xn))
	channelMap(s.xm, xn, m.scale, m.shift, len(xn)/b.cv.c, b.cv.c, m.relu)
	return s.xm
}
