package kernel

import "math"

// ReLU computes dst = max(x, 0). Both have the same length; dst may alias x.
// NaN inputs give 0, as the comparison x > 0 is false for them, and so does -0.
func ReLU(dst, x []float32) {
	checkLen("ReLU", len(dst), len(x))
	if k := simdLen(len(dst)); k > 0 {
		reluVec(&dst[0], &x[0], k)
		dst, x = dst[k:], x[k:]
	}
	reluGeneric(dst, x)
}

func reluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
}

// ReLUBackward accumulates dx += dy where y > 0. y is the forward output, so
// the gradient needs no copy of the input. All three have the same length.
func ReLUBackward(dx, dy, y []float32) {
	checkLen("ReLUBackward", len(dx), len(dy), len(y))
	if k := simdLen(len(dx)); k > 0 {
		reluBackwardVec(&dx[0], &dy[0], &y[0], k)
		dx, dy, y = dx[k:], dy[k:], y[k:]
	}
	reluBackwardGeneric(dx, dy, y)
}

func reluBackwardGeneric(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i, v := range y {
		if v > 0 {
			dx[i] += dy[i]
		}
	}
}

// Sigmoid computes dst = 1/(1+exp(-x)). Both have the same length; dst may
// alias x. exp is only taken of a non-positive number, so large |x| neither
// overflows nor loses the result to Inf/Inf.
func Sigmoid(dst, x []float32) {
	checkLen("Sigmoid", len(dst), len(x))
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = sigmoid(v)
	}
}

func sigmoid(v float32) float32 {
	if v >= 0 {
		return float32(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return float32(e / (1 + e))
}

// SigmoidBackward accumulates dx += dy*y*(1-y), with y the forward output.
// All three have the same length.
func SigmoidBackward(dx, dy, y []float32) {
	checkLen("SigmoidBackward", len(dx), len(dy), len(y))
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i, v := range y {
		dx[i] += dy[i] * v * (1 - v)
	}
}

// Tanh computes dst = tanh(x). Both have the same length; dst may alias x.
func Tanh(dst, x []float32) {
	checkLen("Tanh", len(dst), len(x))
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}

// TanhBackward accumulates dx += dy*(1-y²), with y the forward output.
// All three have the same length.
func TanhBackward(dx, dy, y []float32) {
	checkLen("TanhBackward", len(dx), len(dy), len(y))
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i, v := range y {
		dx[i] += dy[i] * (1 - v*v)
	}
}

// useExp selects expShiftedVec (AVX-512) for the exponentials of
// SoftmaxRows and LogSumExpRows; without it they call math.Exp.
var useExp bool

// expShifted sets dst[i] = exp(float64(x[i]-shift)) for i < len(x) ≤
// len(dst), the difference rounded to float32 first. The assembly agrees
// with math.Exp to about 1e-16 relative, so that the float32 values taken
// from it are math.Exp's in all but about one case in ten million.
func expShifted(dst []float64, x []float32, shift float32) {
	if useExp && len(x) > 0 {
		expShiftedVec(&dst[0], &x[0], shift, len(x), uint8(1)<<(len(x)%8)-1)
		return
	}
	expShiftedGeneric(dst, x, shift)
}

func expShiftedGeneric(dst []float64, x []float32, shift float32) {
	for i, v := range x {
		dst[i] = math.Exp(float64(v - shift))
	}
}

// expChunk is how many exponentials SoftmaxRows and LogSumExpRows take at a
// time, in a buffer on the stack.
const expChunk = 64

// SoftmaxRows computes, for each row i of x (m×n), dst[i,j] =
// exp(x[i,j]-max_i) / Σ_j exp(x[i,j]-max_i). Subtracting the row maximum keeps
// exp from overflowing. The sum is taken in float64, j ascending. dst (m×n)
// may alias x.
func SoftmaxRows(dst, x []float32, m, n int) {
	checkMatrix("SoftmaxRows", m, n, len(dst), len(x))
	if n < expChunk {
		softmaxShortRows(dst, x, m, n)
		return
	}
	softmaxLongRows(dst, x, m, n)
}

// softmaxLongRows is SoftmaxRows row by row, the exponentials expChunk at a
// time.
func softmaxLongRows(dst, x []float32, m, n int) {
	var buf [expChunk]float64
	for i := 0; i < m; i++ {
		xr, dr := x[i*n:i*n+n], dst[i*n:i*n+n]
		mx := rowMax(xr)
		var s float64
		for j0 := 0; j0 < n; j0 += expChunk {
			c := min(expChunk, n-j0)
			expShifted(buf[:c], xr[j0:j0+c], mx)
			for t, e := range buf[:c] {
				dr[j0+t] = float32(e)
				s += e
			}
		}
		inv := float32(1 / s)
		Scale(dr, inv)
	}
}

// softmaxGroup is how many values softmaxShortRows exponentiates at a time.
const softmaxGroup = 256

// softmaxShortRows is SoftmaxRows for rows shorter than expChunk (a
// classifier's 10 classes), where a call of the exponential per row costs
// more than the row: it takes as many whole rows as softmaxGroup values
// hold, writes their differences x − max (in float32, as expShifted rounds
// them) side by side, exponentiates them in one call with shift 0 (exact:
// d − 0 = d), then sums and scales row by row as softmaxLongRows does. The
// same operations on the same values: the same bits.
func softmaxShortRows(dst, x []float32, m, n int) {
	if n == 0 {
		return
	}
	var diff [softmaxGroup]float32
	var buf [softmaxGroup]float64
	rows := softmaxGroup / n
	for i0 := 0; i0 < m; i0 += rows {
		r := min(rows, m-i0)
		for i := range r {
			xr := x[(i0+i)*n : (i0+i+1)*n]
			mx := rowMax(xr)
			d := diff[i*n : (i+1)*n]
			for j, v := range xr {
				d[j] = v - mx
			}
		}
		expShifted(buf[:r*n], diff[:r*n], 0)
		for i := range r {
			dr, er := dst[(i0+i)*n:(i0+i+1)*n], buf[i*n:(i+1)*n]
			var s float64
			for _, e := range er {
				s += e
			}
			inv := float32(1 / s)
			for j, e := range er {
				dr[j] = float32(e) * inv
			}
		}
	}
}

// SoftmaxRowsBackward accumulates, per row of the m×n matrices,
// dx += y*(dy - Σ_j dy*y), the product of softmax's Jacobian with dy, where y
// is the forward output.
func SoftmaxRowsBackward(dx, dy, y []float32, m, n int) {
	checkMatrix("SoftmaxRowsBackward", m, n, len(dx), len(dy), len(y))
	for i := 0; i < m; i++ {
		xr, gr, yr := dx[i*n:i*n+n], dy[i*n:i*n+n], y[i*n:i*n+n]
		var s float64
		for j, v := range yr {
			s += float64(gr[j]) * float64(v)
		}
		s32 := float32(s)
		for j, v := range yr {
			xr[j] += v * (gr[j] - s32)
		}
	}
}

// LogSumExpRows computes dst[i] = log Σ_j exp(x[i,j]) for x (m×n) and dst (m),
// as max + log Σ exp(x - max) so that it neither overflows nor underflows.
// A row of n = 0 gives -Inf.
func LogSumExpRows(dst, x []float32, m, n int) {
	checkMatrix("LogSumExpRows", m, n, len(x))
	checkMatrix("LogSumExpRows", m, 1, len(dst))
	switch {
	case n == 0:
		for i := range dst[:m] {
			dst[i] = float32(math.Inf(-1))
		}
	case n < expChunk:
		logSumExpShortRows(dst, x, m, n)
	default:
		logSumExpLongRows(dst, x, m, n)
	}
}

// logSumExpLongRows is LogSumExpRows row by row, n > 0.
func logSumExpLongRows(dst, x []float32, m, n int) {
	var buf [expChunk]float64
	for i := 0; i < m; i++ {
		xr := x[i*n : i*n+n]
		mx := rowMax(xr)
		if math.IsInf(float64(mx), 0) {
			dst[i] = mx
			continue
		}
		var s float64
		for j0 := 0; j0 < n; j0 += expChunk {
			c := min(expChunk, n-j0)
			expShifted(buf[:c], xr[j0:j0+c], mx)
			for _, e := range buf[:c] {
				s += e
			}
		}
		dst[i] = float32(float64(mx) + math.Log(s))
	}
}

// logSumExpShortRows is LogSumExpRows for 0 < n < expChunk, a group of rows
// per call of the exponential, as softmaxShortRows: the same bits as
// logSumExpLongRows.
func logSumExpShortRows(dst, x []float32, m, n int) {
	var diff [softmaxGroup]float32
	var buf [softmaxGroup]float64
	var maxes [softmaxGroup]float32
	rows := softmaxGroup / n
	for i0 := 0; i0 < m; i0 += rows {
		r := min(rows, m-i0)
		for i := range r {
			xr, d := x[(i0+i)*n:(i0+i+1)*n], diff[i*n:(i+1)*n]
			mx := rowMax(xr)
			maxes[i] = mx
			if math.IsInf(float64(mx), 0) {
				clear(d) // the row's result is mx; its exponentials go unused
				continue
			}
			for j, v := range xr {
				d[j] = v - mx
			}
		}
		expShifted(buf[:r*n], diff[:r*n], 0)
		for i, mx := range maxes[:r] {
			if math.IsInf(float64(mx), 0) {
				dst[i0+i] = mx
				continue
			}
			var s float64
			for _, e := range buf[i*n : (i+1)*n] {
				s += e
			}
			dst[i0+i] = float32(float64(mx) + math.Log(s))
		}
	}
}

func rowMax(x []float32) float32 {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		if v > mx {
			mx = v
		}
	}
	return mx
}
