package kernel

import (
	"fmt"
	"math"
)

// Row loops of layer normalization over x (m, n): each of the m rows (one
// sample, or one position of a sample) is normalized over its own n values,
// so, unlike batch normalization's per-channel loops (batchnorm.go), the
// statistics run along a row, where the values are contiguous: each row is
// read a few times while it is in cache. Sums are taken in float64, in
// index order; the results depend only on the data, never on threads.
//
// Two forms, as Keras has them: centered (LayerNormalization),
// y = (x - mean)·invStd·γ + β, and not centered (Keras's rms_scaling=True),
// y = x·invStd·γ, where in both invStd = 1/√(var + ε) with the biased
// variance of the row about its mean.

// checkLayerNorm panics unless the matrices hold m·n values and the
// vectors n (per column) or m (per row); nil vectors are skipped.
func checkLayerNorm(op string, m, n int, matrices [][]float32, columns [][]float32, rows ...[]float64) {
	lens := make([]int, len(matrices))
	for i, x := range matrices {
		lens[i] = len(x)
	}
	checkMatrix(op, m, n, lens...)
	for _, c := range columns {
		if c != nil && len(c) < n {
			panic(fmt.Sprintf("kernel: %s: a column vector has %d elements, want n = %d", op, len(c), n))
		}
	}
	for _, r := range rows {
		if len(r) < m {
			panic(fmt.Sprintf("kernel: %s: a row vector has %d elements, want m = %d", op, len(r), m))
		}
	}
}

// LayerNormStats sets, for each row i of x (m, n), mean[i] to its mean and
// invStd[i] to 1/√(var + eps), var the biased variance Σ(x - mean)²/n,
// taken in a second pass over the row so that a mean large against the
// spread loses nothing. mean and invStd have m values.
func LayerNormStats(mean, invStd []float64, x []float32, m, n int, eps float64) {
	checkLayerNorm("LayerNormStats", m, n, [][]float32{x}, nil, mean, invStd)
	for i := range m {
		row := x[i*n : i*n+n]
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		mu := s / float64(n)
		var q float64
		for _, v := range row {
			d := float64(v) - mu
			q += d * d
		}
		mean[i], invStd[i] = mu, 1/math.Sqrt(q/float64(n)+eps)
	}
}

// LayerNormForward sets y (m, n) from x (m, n), the rows' mean and invStd
// (m, from LayerNormStats) and gamma, beta (n): centered,
// y[i, j] = (x[i, j] - mean[i])·invStd[i]·gamma[j] + beta[j]; not
// centered, y[i, j] = x[i, j]·invStd[i]·gamma[j], and beta is not read
// (it may be nil). Each value is computed in float64 and rounded once.
// y may alias x.
func LayerNormForward(y, x []float32, mean, invStd []float64, gamma, beta []float32, m, n int, centered bool) {
	checkLayerNorm("LayerNormForward", m, n, [][]float32{y, x}, [][]float32{gamma, beta}, mean, invStd)
	gamma = gamma[:n]
	if !centered {
		for i := range m {
			yr, xr, inv := y[i*n:i*n+n], x[i*n:i*n+n], invStd[i]
			for j, g := range gamma {
				yr[j] = float32(float64(xr[j]) * inv * float64(g))
			}
		}
		return
	}
	beta = beta[:n]
	for i := range m {
		yr, xr, mu, inv := y[i*n:i*n+n], x[i*n:i*n+n], mean[i], invStd[i]
		for j, g := range gamma {
			yr[j] = float32((float64(xr[j])-mu)*inv*float64(g) + float64(beta[j]))
		}
	}
}

// LayerNormBackward adds the gradients of LayerNormForward, given dy
// (m, n): to dgamma (n, float64) Σ_i dy·v, where v = (x - mean)·invStd
// centered and x·invStd not; and, unless dx is nil, to dx (m, n) the
// input gradient, which with g = dy·γ and x̂ = (x - mean)·invStd is
//
//	dx = invStd·(g - mean_j(g) - x̂·mean_j(g·v))  centered,
//	dx = invStd·(g - x̂·mean_j(g·v))              not centered:
//
// the mean and the variance depend on every value of the row. β's
// gradient is the column sums of dy (ColumnSums64).
func LayerNormBackward(dx []float32, dgamma []float64, dy, x []float32, mean, invStd []float64, gamma []float32, m, n int, centered bool) {
	checkLayerNorm("LayerNormBackward", m, n, [][]float32{dy, x}, [][]float32{gamma}, mean, invStd)
	if dx != nil {
		checkMatrix("LayerNormBackward", m, n, len(dx))
	}
	if len(dgamma) < n {
		panic(fmt.Sprintf("kernel: LayerNormBackward: dgamma has %d elements, want n = %d", len(dgamma), n))
	}
	gamma, dgamma = gamma[:n], dgamma[:n]
	for i := range m {
		dyr, xr, mu, inv := dy[i*n:i*n+n], x[i*n:i*n+n], mean[i], invStd[i]
		c := 0.0 // what v subtracts from x
		if centered {
			c = mu
		}
		var sg, sgv float64 // Σ g and Σ g·v over the row
		for j, gj := range gamma {
			d := float64(dyr[j])
			v := (float64(xr[j]) - c) * inv
			g := d * float64(gj)
			sg += g
			sgv += g * v
			dgamma[j] += d * v
		}
		if dx == nil {
			continue
		}
		a, b := sg/float64(n), sgv/float64(n)
		if !centered {
			a = 0
		}
		dxr := dx[i*n : i*n+n]
		for j, gj := range gamma {
			xh := (float64(xr[j]) - mu) * inv
			dxr[j] += float32(inv * (float64(dyr[j])*float64(gj) - a - xh*b))
		}
	}
}
