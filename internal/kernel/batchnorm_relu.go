package kernel

// The loops of a batch normalization whose output only a ReLU reads, fused
// with the ReLU: the forward writes y = relu(x·scale + shift) in one pass,
// and the backward passes read the ReLU's output gradient dy instead of
// the normalization's, which the unfused ReLU would first have to write
// out, and mask it where y > 0. They do not read y for that: y > 0 exactly
// where z = x·scale + shift > 0, and they recompute z from x, which they
// read anyway, with the forward's scale and shift and the same two
// roundings. Each gives the same bits as the unfused passes: the ReLU of
// the same rounded affine value, and, in the backward ones,
// g = reluGrad(dy, z), which is exactly what the ReLU's backward leaves in
// the normalization's zeroed output gradient.

// reluGrad is what the ReLU's backward (ReLUBackward) leaves in a zeroed
// gradient, given its input z: 0 + dy where its output relu(z) > 0, that
// is where z > 0, else 0. The addition is kept, so that a dy of -0 gives
// +0 there too.
func reluGrad(dy, z float32) float32 {
	var g float32
	if z > 0 {
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
	// Without the one-pass loop: ChannelAffine's bits, then the ReLU.
	ChannelAffine(y, x, scale, shift, m, n)
	for i, v := range y[:m*n] {
		y[i] = relu(v)
	}
}

// ColumnDotsReLU64 is ColumnDots64 with dy seen through a ReLU of
// x·scale + shift (ChannelAffineReLU's output): with
// g = reluGrad(dy, x·scale + shift), for dy, x (m, n) and mean, scale,
// shift, sum, dot (n), sum[c] += Σ_i g[i, c] and
// dot[c] += Σ_i g[i, c]·(x[i, c] - mean[c]).
func ColumnDotsReLU64(sum, dot []float64, dy, x, mean, scale, shift []float32, m, n int) {
	checkRows("ColumnDotsReLU64", m, n, "sum", sum, "dot", dot, "dy", dy, "x", x, "mean", mean, "scale", scale, "shift", shift)
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		if colDotsReLURun(sum, dot, dy[r0*n:], x[r0*n:], mean, scale, shift, r1-r0, n) {
			continue
		}
		c := 0
		for ; c+4 <= n; c += 4 {
			k := mean[c : c+4 : c+4]
			sc, sh := scale[c:c+4:c+4], shift[c:c+4:c+4]
			var s0, s1, s2, s3, t0, t1, t2, t3 float32
			for i := r0; i < r1; i++ {
				dyr := dy[i*n+c : i*n+c+4 : i*n+c+4]
				v := x[i*n+c : i*n+c+4 : i*n+c+4]
				g0, g1 := reluGrad(dyr[0], float32(v[0]*sc[0])+sh[0]), reluGrad(dyr[1], float32(v[1]*sc[1])+sh[1])
				g2, g3 := reluGrad(dyr[2], float32(v[2]*sc[2])+sh[2]), reluGrad(dyr[3], float32(v[3]*sc[3])+sh[3])
				s0 += g0
				s1 += g1
				s2 += g2
				s3 += g3
				t0 += float32(g0 * (v[0] - k[0]))
				t1 += float32(g1 * (v[1] - k[1]))
				t2 += float32(g2 * (v[2] - k[2]))
				t3 += float32(g3 * (v[3] - k[3]))
			}
			widen4(sum[c:], s0, s1, s2, s3)
			widen4(dot[c:], t0, t1, t2, t3)
		}
		for ; c < n; c++ {
			var s, t float32
			for i := r0; i < r1; i++ {
				g := reluGrad(dy[i*n+c], float32(x[i*n+c]*scale[c])+shift[c])
				s += g
				t += float32(g * (x[i*n+c] - mean[c]))
			}
			sum[c] += float64(s)
			dot[c] += float64(t)
		}
	}
}

// BatchNormGradReLU is BatchNormGrad with dy seen through a ReLU of
// x·scale + shift: with g = reluGrad(dy, x·scale + shift),
// dx[i, c] += a[c]·g[i, c] + b[c]·(x[i, c] - mean[c]) + d[c], for dx, dy,
// x (m, n) and a, b, mean, d, scale, shift (n).
func BatchNormGradReLU(dx, dy, x, a, b, mean, d, scale, shift []float32, m, n int) {
	checkRows("BatchNormGradReLU", m, n, "dx", dx, "dy", dy, "x", x, "a", a, "b", b, "mean", mean, "d", d, "scale", scale, "shift", shift)
	if bnGradReLURows(dx, dy, x, a, b, mean, d, scale, shift, m, n) {
		return
	}
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		c := 0
		for ; c+2 <= n; c += 2 {
			a0, a1, b0, b1 := a[c], a[c+1], b[c], b[c+1]
			k0, k1, d0, d1 := mean[c], mean[c+1], d[c], d[c+1]
			s0, s1, t0, t1 := scale[c], scale[c+1], shift[c], shift[c+1]
			for i := r0; i < r1; i++ {
				v := x[i*n+c : i*n+c+2 : i*n+c+2]
				g := dy[i*n+c : i*n+c+2 : i*n+c+2]
				o := dx[i*n+c : i*n+c+2 : i*n+c+2]
				o[0] += float32(a0*reluGrad(g[0], float32(v[0]*s0)+t0)) + float32(b0*(v[0]-k0)) + d0
				o[1] += float32(a1*reluGrad(g[1], float32(v[1]*s1)+t1)) + float32(b1*(v[1]-k1)) + d1
			}
		}
		for ; c < n; c++ {
			for i := r0; i < r1; i++ {
				dx[i*n+c] += float32(a[c]*reluGrad(dy[i*n+c], float32(x[i*n+c]*scale[c])+shift[c])) + float32(b[c]*(x[i*n+c]-mean[c])) + d[c]
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

// GradSumsReLU is GradSums of the gradient that the ReLU of AffineReLU(x,
// scale, shift) passes back from dy: with g = reluGrad(dy, x·scale +
// shift), sum[c] = Σ_i g[i, c] and dot[c] = Σ_i g[i, c]·(x[i, c] -
// mean[c]), for dy, x (m, n) and mean, scale, shift (n).
func (bn *BatchNorm) GradSumsReLU(sum, dot []float64, dy, x, mean, scale, shift []float32) {
	checkRows("BatchNorm.GradSumsReLU", bn.m, bn.n, "sum", sum, "dot", dot, "dy", dy, "x", x, "mean", mean, "scale", scale, "shift", shift)
	bn.dy, bn.x, bn.mean, bn.scale, bn.shift = dy, x, mean, scale, shift
	bn.run(bnDotsReLU)
	bn.combineDots(sum, dot)
}

// GradReLU is Grad of the gradient that the ReLU of AffineReLU(x, scale,
// shift) passes back from dy, as BatchNormGradReLU:
// dx += a·g + b·(x - mean) + d.
func (bn *BatchNorm) GradReLU(dx, dy, x, a, b, mean, d, scale, shift []float32) {
	checkRows("BatchNorm.GradReLU", bn.m, bn.n, "dx", dx, "dy", dy, "x", x, "a", a, "b", b, "mean", mean, "d", d, "scale", scale, "shift", shift)
	bn.dx, bn.dy, bn.x, bn.a, bn.b, bn.mean, bn.d, bn.scale, bn.shift = dx, dy, x, a, b, mean, d, scale, shift
	bn.run(bnGradReLU)
}
