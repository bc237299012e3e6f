package kernel

import "fmt"

// Per-channel loops of batch normalization over x (m, n): m rows (every
// sample, or every pixel of every sample in NHWC) of n channels. Channels
// are contiguous, so each row is swept once with the channel's running
// value kept in a register: blocks of 8 channels at a time, each block
// summing a run of rows.
//
// Every product is rounded to float32 before it is added (float32(x*y) +
// z), as the assembly does: the conversion keeps the compiler from fusing
// the two into one multiply-add (GOAMD64=v3), which would round once.
//
// Sums are taken in float32 over runs of colRun rows, in row order, and
// each run's sum is added into float64: float32 where the values are few,
// float64 where the error would grow with m. The results depend only on m,
// n and the data.

// colRun is the number of rows summed in float32 before a float64 add.
const colRun = 64

// bnVecOff makes the loops below skip the assembly versions
// (batchnorm_amd64.s, for rows of a multiple of 8 channels), so that tests
// can hold the two against each other bit for bit; bnWideOff keeps them to
// the AVX ones where the AVX-512 ones would run.
var bnVecOff, bnWideOff bool

func checkRows(op string, m, n int, named ...any) {
	for i := 0; i < len(named); i += 2 {
		name := named[i].(string)
		var l, want int
		switch s := named[i+1].(type) {
		case []float32:
			l, want = len(s), m*n
			if name == "mean" || name == "scale" || name == "shift" || name == "a" || name == "b" || name == "d" {
				want = n
			}
		case []float64:
			l, want = len(s), n
		}
		if l < want {
			panic(fmt.Sprintf("kernel: %s: %s has %d elements, want %d for (%d, %d)", op, name, l, want, m, n))
		}
	}
}

// ColumnSums64 adds to dst (n) the column sums of x (m, n):
// dst[c] += Σ_i x[i, c].
func ColumnSums64(dst []float64, x []float32, m, n int) {
	checkRows("ColumnSums64", m, n, "dst", dst, "x", x)
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		if colSumsRun(dst, x[r0*n:], r1-r0, n) {
			continue
		}
		c := 0
		for ; c+8 <= n; c += 8 {
			var s0, s1, s2, s3, s4, s5, s6, s7 float32
			for i := r0; i < r1; i++ {
				v := x[i*n+c : i*n+c+8 : i*n+c+8]
				s0 += v[0]
				s1 += v[1]
				s2 += v[2]
				s3 += v[3]
				s4 += v[4]
				s5 += v[5]
				s6 += v[6]
				s7 += v[7]
			}
			widen8(dst[c:], s0, s1, s2, s3, s4, s5, s6, s7)
		}
		for ; c < n; c++ {
			var s float32
			for i := r0; i < r1; i++ {
				s += x[i*n+c]
			}
			dst[c] += float64(s)
		}
	}
}

// widen8 and widen4 add a run of rows' float32 sums of 8 or 4 columns to
// their float64 totals at d: the column loops below sum a run in float32
// registers and widen once per run.
func widen8(d []float64, s0, s1, s2, s3, s4, s5, s6, s7 float32) {
	d = d[:8:8]
	d[0] += float64(s0)
	d[1] += float64(s1)
	d[2] += float64(s2)
	d[3] += float64(s3)
	d[4] += float64(s4)
	d[5] += float64(s5)
	d[6] += float64(s6)
	d[7] += float64(s7)
}

func widen4(d []float64, s0, s1, s2, s3 float32) {
	d = d[:4:4]
	d[0] += float64(s0)
	d[1] += float64(s1)
	d[2] += float64(s2)
	d[3] += float64(s3)
}

// ColumnSquares64 adds to dst (n) the squared deviations of the columns of
// x (m, n) from centre (n): dst[c] += Σ_i (x[i, c] - centre[c])².
func ColumnSquares64(dst []float64, x, centre []float32, m, n int) {
	checkRows("ColumnSquares64", m, n, "dst", dst, "x", x, "mean", centre)
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		if colSquaresRun(dst, x[r0*n:], centre, r1-r0, n) {
			continue
		}
		c := 0
		for ; c+8 <= n; c += 8 {
			k := centre[c : c+8 : c+8]
			var s0, s1, s2, s3, s4, s5, s6, s7 float32
			for i := r0; i < r1; i++ {
				v := x[i*n+c : i*n+c+8 : i*n+c+8]
				d0, d1, d2, d3 := v[0]-k[0], v[1]-k[1], v[2]-k[2], v[3]-k[3]
				d4, d5, d6, d7 := v[4]-k[4], v[5]-k[5], v[6]-k[6], v[7]-k[7]
				s0 += float32(d0 * d0)
				s1 += float32(d1 * d1)
				s2 += float32(d2 * d2)
				s3 += float32(d3 * d3)
				s4 += float32(d4 * d4)
				s5 += float32(d5 * d5)
				s6 += float32(d6 * d6)
				s7 += float32(d7 * d7)
			}
			widen8(dst[c:], s0, s1, s2, s3, s4, s5, s6, s7)
		}
		for ; c < n; c++ {
			var s float32
			for i := r0; i < r1; i++ {
				d := x[i*n+c] - centre[c]
				s += float32(d * d)
			}
			dst[c] += float64(s)
		}
	}
}

// ColumnDots64 adds to sum and dot (n each) the sums batch normalization's
// gradient needs, over dy and x (m, n):
// sum[c] += Σ_i dy[i, c], dot[c] += Σ_i dy[i, c]·(x[i, c] - mean[c]).
func ColumnDots64(sum, dot []float64, dy, x, mean []float32, m, n int) {
	checkRows("ColumnDots64", m, n, "sum", sum, "dot", dot, "dy", dy, "x", x, "mean", mean)
	for r0 := 0; r0 < m; r0 += colRun {
		r1 := min(m, r0+colRun)
		if colDotsRun(sum, dot, dy[r0*n:], x[r0*n:], mean, r1-r0, n) {
			continue
		}
		c := 0
		for ; c+4 <= n; c += 4 {
			k := mean[c : c+4 : c+4]
			var s0, s1, s2, s3, t0, t1, t2, t3 float32
			for i := r0; i < r1; i++ {
				g := dy[i*n+c : i*n+c+4 : i*n+c+4]
				v := x[i*n+c : i*n+c+4 : i*n+c+4]
				s0 += g[0]
				s1 += g[1]
				s2 += g[2]
				s3 += g[3]
				t0 += float32(g[0] * (v[0] - k[0]))
				t1 += float32(g[1] * (v[1] - k[1]))
				t2 += float32(g[2] * (v[2] - k[2]))
				t3 += float32(g[3] * (v[3] - k[3]))
			}
			widen4(sum[c:], s0, s1, s2, s3)
			widen4(dot[c:], t0, t1, t2, t3)
		}
		for ; c < n; c++ {
			var s, t float32
			for i := r0; i < r1; i++ {
				s += dy[i*n+c]
				t += float32(dy[i*n+c] * (x[i*n+c] - mean[c]))
			}
			sum[c] += float64(s)
			dot[c] += float64(t)
		}
	}
}

// ChannelAffine sets y[i, c] = x[i, c]·scale[c] + shift[c] for x, y (m, n).
// Blocks of 4 channels keep their coefficients in registers while a run
// of rows goes by.
func ChannelAffine(y, x, scale, shift []float32, m, n int) {
	checkRows("ChannelAffine", m, n, "y", y, "x", x, "scale", scale, "shift", shift)
	if affineRows(y, x, scale, shift, m, n) {
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
				o[0] = float32(v[0]*s0) + t0
				o[1] = float32(v[1]*s1) + t1
				o[2] = float32(v[2]*s2) + t2
				o[3] = float32(v[3]*s3) + t3
			}
		}
		for ; c < n; c++ {
			for i := r0; i < r1; i++ {
				y[i*n+c] = float32(x[i*n+c]*scale[c]) + shift[c]
			}
		}
	}
}

// BatchNormGrad adds batch normalization's input gradient, in the form
// dx[i, c] += a[c]·dy[i, c] + b[c]·(x[i, c] - mean[c]) + d[c], to dx
// (m, n); dy and x are (m, n), a, b, mean and d (n).
func BatchNormGrad(dx, dy, x, a, b, mean, d []float32, m, n int) {
	checkRows("BatchNormGrad", m, n, "dx", dx, "dy", dy, "x", x, "a", a, "b", b, "mean", mean, "d", d)
	if bnGradRows(dx, dy, x, a, b, mean, d, m, n) {
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
				o := dx[i*n+c : i*n+c+2 : i*n+c+2]
				o[0] += float32(a0*g[0]) + float32(b0*(v[0]-k0)) + d0
				o[1] += float32(a1*g[1]) + float32(b1*(v[1]-k1)) + d1
			}
		}
		for ; c < n; c++ {
			for i := r0; i < r1; i++ {
				dx[i*n+c] += float32(a[c]*dy[i*n+c]) + float32(b[c]*(x[i*n+c]-mean[c])) + d[c]
			}
		}
	}
}
