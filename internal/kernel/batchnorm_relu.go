package kernel

// The loops of a batch normalization whose output only a ReLU reads, fused
// with the ReLU: the forward writes relu(x·scale + shift) in one pass, and
// the backward passes read the ReLU's output y and its output gradient dy
// instead of the normalization's output gradient, which the unfused ReLU
// would first have to write out. Each gives the same bits as the unfused
// passes: the ReLU of the same rounded affine value, and, in the backward
// ones, g = reluGrad(dy, y), which is exactly what the ReLU's backward
// leaves in the normalization's zeroed output gradient.

// reluGrad is what the ReLU's backward (ReLUBackward) leaves in a zeroed
// gradient: 0 + dy where its output y > 0, else 0. The addition is kept,
// so that a dy of -0 gives +0 there too.
func reluGrad(dy, y float32) float32 {
	var g float32
	if y > 0 {
		g += dy
	}
	return g
}

// relu is max(z, 0) as ReLU takes it: NaN and -0 give +0.
func relu(z float32) float32 {
	if z > 0 {
		return z
	}
	return 0
}

// ChannelAffineReLU sets y[i, c] = relu(x[i, c]·scale[c] + shift[c]) for
// x, y (m, n): ChannelAffine, then ReLU, in one pass.
func ChannelAffineReLU(y, x, scale, shift []float32, m, n int) {
	checkRows("ChannelAffineReLU", m, n, "y", y, "x", x, "scale", scale, "shift", shift)
	if affineReLURows(y, x, scale, shift, m, n) {
		return
	}
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		c := 0
		for ; c+4 <= n; c += 4 {
			s, t := scale[c:c+4:c+4], shift[c:c+4:c+4]
			s0, s1, s2, s3 := s[0], s[1], s[2], s[3]
			t0, t1, t2, t3 := t[0], t[1], t[2], t[3]
			for i := r0; i < r1; i++ {
				v := x[i*n+c : i*n+c+4 : i*n+c+4]
				o := y[i*n+c : i*n+c+4 : i*n+c+4]
				o[0] = relu(v[0]*s0 + t0)
				o[1] = relu(v[1]*s1 + t1)
				o[2] = relu(v[2]*s2 + t2)
				o[3] = relu(v[3]*s3 + t3)
			}
		}
		for ; c < n; c++ {
			for i := r0; i < r1; i++ {
				y[i*n+c] = relu(x[i*n+c]*scale[c] + shift[c])
			}
		}
	}
}

// ColumnDotsReLU64 is ColumnDots64 with dy seen through a ReLU whose output
// is y: with g = reluGrad(dy, y), for dy, y, x (m, n) and mean, sum, dot
// (n), sum[c] += Σ_i g[i, c], dot[c] += Σ_i g[i, c]·(x[i, c] - mean[c]).
func ColumnDotsReLU64(sum, dot []float64, dy, y, x, mean []float32, m, n int) {
	checkRows("ColumnDotsReLU64", m, n, "sum", sum, "dot", dot, "dy", dy, "y", y, "x", x, "mean", mean)
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		if colDotsReLURun(sum, dot, dy[r0*n:], y[r0*n:], x[r0*n:], mean, r1-r0, n) {
			continue
		}
		c := 0
		for ; c+4 <= n; c += 4 {
			k := mean[c : c+4 : c+4]
			var s0, s1, s2, s3, t0, t1, t2, t3 float32
			for i := r0; i < r1; i++ {
				dyr := dy[i*n+c : i*n+c+4 : i*n+c+4]
				yr := y[i*n+c : i*n+c+4 : i*n+c+4]
				v := x[i*n+c : i*n+c+4 : i*n+c+4]
				g0, g1 := reluGrad(dyr[0], yr[0]), reluGrad(dyr[1], yr[1])
				g2, g3 := reluGrad(dyr[2], yr[2]), reluGrad(dyr[3], yr[3])
				s0 += g0
				s1 += g1
				s2 += g2
				s3 += g3
				t0 += g0 * (v[0] - k[0])
				t1 += g1 * (v[1] - k[1])
				t2 += g2 * (v[2] - k[2])
				t3 += g3 * (v[3] - k[3])
			}
			su, do := sum[c:c+4:c+4], dot[c:c+4:c+4]
			su[0] += float64(s0)
			su[1] += float64(s1)
			su[2] += float64(s2)
			su[3] += float64(s3)
			do[0] += float64(t0)
			do[1] += float64(t1)
			do[2] += float64(t2)
			do[3] += float64(t3)
		}
		for ; c < n; c++ {
			var s, t float32
			for i := r0; i < r1; i++ {
				g := reluGrad(dy[i*n+c], y[i*n+c])
				s += g
				t += g * (x[i*n+c] - mean[c])
			}
			sum[c] += float64(s)
			dot[c] += float64(t)
		}
	}
}

// BatchNormGradReLU is BatchNormGrad with dy seen through a ReLU whose
// output is y: with g = reluGrad(dy, y),
// dx[i, c] += a[c]·g[i, c] + b[c]·(x[i, c] - mean[c]) + d[c], for dx, dy,
// y, x (m, n) and a, b, mean, d (n).
func BatchNormGradReLU(dx, dy, y, x, a, b, mean, d []float32, m, n int) {
	checkRows("BatchNormGradReLU", m, n, "dx", dx, "dy", dy, "y", y, "x", x, "a", a, "b", b, "mean", mean, "d", d)
	if bnGradReLURows(dx, dy, y, x, a, b, mean, d, m, n) {
		return
	}
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		c := 0
		for ; c+2 <= n; c += 2 {
			a0, a1, b0, b1 := a[c], a[c+1], b[c], b[c+1]
			k0, k1, d0, d1 := mean[c], mean[c+1], d[c], d[c+1]
			for i := r0; i < r1; i++ {
				v := x[i*n+c : i*n+c+2 : i*n+c+2]
				g := dy[i*n+c : i*n+c+2 : i*n+c+2]
				yr := y[i*n+c : i*n+c+2 : i*n+c+2]
				o := dx[i*n+c : i*n+c+2 : i*n+c+2]
				o[0] += a0*reluGrad(g[0], yr[0]) + b0*(v[0]-k0) + d0
				o[1] += a1*reluGrad(g[1], yr[1]) + b1*(v[1]-k1) + d1
			}
		}
		for ; c < n; c++ {
			for i := r0; i < r1; i++ {
				dx[i*n+c] += a[c]*reluGrad(dy[i*n+c], y[i*n+c]) + b[c]*(x[i*n+c]-mean[c]) + d[c]
			}
		}
	}
}

// AffineReLU sets y = relu(x·scale + shift) per channel, for x, y (m, n)
// and scale, shift (n), as ChannelAffineReLU does.
func (bn *BatchNorm) AffineReLU(y, x, scale, shift []float32) {
	checkRows("BatchNorm.AffineReLU", bn.m, bn.n, "y", y, "x", x, "scale", scale, "shift", shift)
	bn.y, bn.x, bn.scale, bn.shift = y, x, scale, shift
	bn.run(bnAffineReLU)
}

// GradSumsReLU is GradSums of the gradient a ReLU whose output is y passes
// back from dy: with g = reluGrad(dy, y), sum[c] = Σ_i g[i, c] and
// dot[c] = Σ_i g[i, c]·(x[i, c] - mean[c]), for dy, y, x (m, n).
func (bn *BatchNorm) GradSumsReLU(sum, dot []float64, dy, y, x, mean []float32) {
	checkRows("BatchNorm.GradSumsReLU", bn.m, bn.n, "sum", sum, "dot", dot, "dy", dy, "y", y, "x", x, "mean", mean)
	bn.dy, bn.y, bn.x, bn.mean = dy, y, x, mean
	bn.run(bnDotsReLU)
	bn.combineDots(sum, dot)
}

// GradReLU is Grad of the gradient a ReLU whose output is y passes back
// from dy, as BatchNormGradReLU: dx += a·g + b·(x - mean) + d.
func (bn *BatchNorm) GradReLU(dx, dy, y, x, a, b, mean, d []float32) {
	checkRows("BatchNorm.GradReLU", bn.m, bn.n, "dx", dx, "dy", dy, "y", y, "x", x, "a", a, "b", b, "mean", mean, "d", d)
	bn.dx, bn.dy, bn.y, bn.x, bn.a, bn.b, bn.mean, bn.d = dx, dy, y, x, a, b, mean, d
	bn.run(bnGradReLU)
}
