package kernel

// The input-gradient passes of batch normalization in the form that sets
// dx rather than adding to it, for a dx that nothing else writes: the plan
// then need not zero dx first, and the pass need not read it. They give
// the bits of the adding passes on a zeroed dx: each value v goes in as
// 0 + v (v, or +0 for a v of -0).

// batchNormGradSet sets dx to what BatchNormGrad adds to a zeroed dx, for
// dx, dy, x (m, n) and a, b, mean, d (n). Without the assembly, each run
// of rows is zeroed just before BatchNormGrad adds to it, while it is in
// the L1 cache.
func batchNormGradSet(dx, dy, x, a, b, mean, d []float32, m, n int) {
	checkRows("batchNormGradSet", m, n, "dx", dx, "dy", dy, "x", x, "a", a, "b", b, "mean", mean, "d", d)
	if bnGradSetRows(dx, dy, x, a, b, mean, d, m, n) {
		return
	}
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		clear(dx[r0*n : r1*n])
		BatchNormGrad(dx[r0*n:r1*n], dy[r0*n:r1*n], x[r0*n:r1*n], a, b, mean, d, r1-r0, n)
	}
}

// batchNormGradReLUSet sets dx to what BatchNormGradReLU adds to a zeroed
// dx, for dx, dy, x (m, n) and a, b, mean, d, scale, shift (n).
func batchNormGradReLUSet(dx, dy, x, a, b, mean, d, scale, shift []float32, m, n int) {
	checkRows("batchNormGradReLUSet", m, n, "dx", dx, "dy", dy, "x", x, "a", a, "b", b, "mean", mean, "d", d, "scale", scale, "shift", shift)
	if bnGradReLUSetRows(dx, dy, x, a, b, mean, d, scale, shift, m, n) {
		return
	}
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		clear(dx[r0*n : r1*n])
		BatchNormGradReLU(dx[r0*n:r1*n], dy[r0*n:r1*n], x[r0*n:r1*n], a, b, mean, d, scale, shift, r1-r0, n)
	}
}

// GradSet is Grad that sets dx, without reading it, to what Grad adds to
// a zeroed dx: for a dx the caller would otherwise zero first.
func (bn *BatchNorm) GradSet(dx, dy, x, a, b, mean, d []float32) {
	checkRows("BatchNorm.GradSet", bn.m, bn.n, "dx", dx, "dy", dy, "x", x, "a", a, "b", b, "mean", mean, "d", d)
	bn.dx, bn.dy, bn.x, bn.a, bn.b, bn.mean, bn.d = dx, dy, x, a, b, mean, d
	bn.run(bnGradSet)
}

// GradReLUSet is GradReLU that sets dx, without reading it, to what
// GradReLU adds to a zeroed dx.
func (bn *BatchNorm) GradReLUSet(dx, dy, x, a, b, mean, d, scale, shift []float32) {
	checkRows("BatchNorm.GradReLUSet", bn.m, bn.n, "dx", dx, "dy", dy, "x", x, "a", a, "b", b, "mean", mean, "d", d, "scale", scale, "shift", shift)
	bn.dx, bn.dy, bn.x, bn.a, bn.b, bn.mean, bn.d, bn.scale, bn.shift = dx, dy, x, a, b, mean, d, scale, shift
	bn.run(bnGradReLUSet)
}
