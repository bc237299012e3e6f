package kernel

import "math"

// Dot returns Σ_i a[i]*b[i], accumulated in float64 in index order so that
// long vectors keep their precision and the result is reproducible.
// a and b have the same length.
func Dot(a, b []float32) float32 {
	checkLen("Dot", len(a), len(b))
	b = b[:len(a)]
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return float32(s)
}

// Sum returns Σ x[i] in a float64 accumulator, in index order.
func Sum(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// SumSquares returns Σ x[i]² in a float64 accumulator, in index order.
func SumSquares(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

// MaxAbs returns max_i |x[i]|, 0 for an empty slice, and NaN if any element
// is NaN, so that a gradient check sees a poisoned tensor.
func MaxAbs(x []float32) float32 {
	var mx float32
	for _, v := range x {
		if v != v {
			return float32(math.NaN())
		}
		if v < 0 {
			v = -v
		}
		if v > mx {
			mx = v
		}
	}
	return mx
}
