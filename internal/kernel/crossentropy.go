package kernel

import (
	"fmt"
	"math"
)

// Cross-entropy losses and their gradients. Each loss function returns the
// sum of its terms, in float64 and in index order; the caller divides by
// the batch, and passes the reciprocal as scale to the gradient function,
// which adds scale times the gradient of the sum to its destination.
//
// Categorical targets come as rows t (m, n), one-hot or soft, smoothed to
// y = t·(1-smoothing) + smoothing/n (in float32; t itself when smoothing is
// 0), or, for the Sparse functions, as labels (m): one class index per row,
// stored as float32 and truncated; a label outside [0, n) names no class.

// targets gives row i's target for class j (y above).
type targets struct {
	t         []float32
	n         int
	sparse    bool
	smoothing float32
}

func (tg targets) at(i, j int) float32 {
	var v float32
	if tg.sparse {
		if int(tg.t[i]) == j {
			v = 1
		}
	} else {
		v = tg.t[i*tg.n+j]
	}
	if tg.smoothing != 0 {
		v = v*(1-tg.smoothing) + tg.smoothing/float32(tg.n)
	}
	return v
}

func checkTargets(op string, m, n, z, t int, sparse bool) {
	want := m * n
	if sparse {
		want = m
	}
	if m < 0 || n < 0 || z != m*n || t != want {
		panic(fmt.Sprintf("kernel: %s: predictions have %d elements and targets %d, want %d and %d for (%d, %d)", op, z, t, m*n, want, m, n))
	}
}

// CrossEntropyLogits sets lse (m) to the log-sum-exp of each row of the
// logits z (m, n) (LogSumExpRows) and returns the summed categorical
// cross-entropy Σ_i Σ_j y[i,j]·(lse[i] - z[i,j]), y being t (m, n)
// smoothed. Terms whose target is 0 are skipped, so that a -Inf logit of a
// class the target does not name adds nothing.
func CrossEntropyLogits(lse, z, t []float32, m, n int, smoothing float32) float64 {
	checkTargets("CrossEntropyLogits", m, n, len(z), len(t), false)
	return crossEntropyLogits(lse, z, targets{t, n, false, smoothing}, m)
}

// SparseCrossEntropyLogits is CrossEntropyLogits for class labels (m).
func SparseCrossEntropyLogits(lse, z, labels []float32, m, n int) float64 {
	checkTargets("SparseCrossEntropyLogits", m, n, len(z), len(labels), true)
	return crossEntropyLogits(lse, z, targets{labels, n, true, 0}, m)
}

func crossEntropyLogits(lse, z []float32, tg targets, m int) float64 {
	n := tg.n
	LogSumExpRows(lse, z, m, n)
	var total float64
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if y := tg.at(i, j); y != 0 {
				total += float64(y) * (float64(lse[i]) - float64(z[i*n+j]))
			}
		}
	}
	return total
}

// CrossEntropyLogitsGrad adds scale times the gradient of
// CrossEntropyLogits with respect to the logits to dz (m, n):
// dz[i,j] += scale·((Σ_k y[i,k])·p[i,j] - y[i,j]), p (m, n) being the
// softmax of each row of z (SoftmaxRows).
func CrossEntropyLogitsGrad(dz, p, t []float32, m, n int, smoothing, scale float32) {
	checkTargets("CrossEntropyLogitsGrad", m, n, len(p), len(t), false)
	checkMatrix("CrossEntropyLogitsGrad", m, n, len(dz))
	crossEntropyLogitsGrad(dz, p, targets{t, n, false, smoothing}, m, scale)
}

// SparseCrossEntropyLogitsGrad is CrossEntropyLogitsGrad for class labels
// (m).
func SparseCrossEntropyLogitsGrad(dz, p, labels []float32, m, n int, scale float32) {
	checkTargets("SparseCrossEntropyLogitsGrad", m, n, len(p), len(labels), true)
	checkMatrix("SparseCrossEntropyLogitsGrad", m, n, len(dz))
	crossEntropyLogitsGrad(dz, p, targets{labels, n, true, 0}, m, scale)
}

func crossEntropyLogitsGrad(dz, p []float32, tg targets, m int, scale float32) {
	n := tg.n
	for i := 0; i < m; i++ {
		var sy float32
		for j := 0; j < n; j++ {
			sy += tg.at(i, j)
		}
		for j := 0; j < n; j++ {
			k := i*n + j
			dz[k] += scale * (sy*p[k] - tg.at(i, j))
		}
	}
}

// CrossEntropyProbs returns the summed categorical cross-entropy of
// probability rows p (m, n), as Keras computes it: each row is divided by
// its sum s (in float64) and clipped to [eps, 1-eps], and
// -Σ_j y[i,j]·log(clip(p[i,j]/s)) is added, y being t (m, n) smoothed.
// Terms whose target is 0 are skipped.
func CrossEntropyProbs(p, t []float32, m, n int, smoothing float32, eps float64) float64 {
	checkTargets("CrossEntropyProbs", m, n, len(p), len(t), false)
	return crossEntropyProbs(p, targets{t, n, false, smoothing}, m, eps)
}

// SparseCrossEntropyProbs is CrossEntropyProbs for class labels (m).
func SparseCrossEntropyProbs(p, labels []float32, m, n int, eps float64) float64 {
	checkTargets("SparseCrossEntropyProbs", m, n, len(p), len(labels), true)
	return crossEntropyProbs(p, targets{labels, n, true, 0}, m, eps)
}

func crossEntropyProbs(p []float32, tg targets, m int, eps float64) float64 {
	n := tg.n
	var total float64
	for i := 0; i < m; i++ {
		row := p[i*n : (i+1)*n]
		s := Sum(row)
		for j, pj := range row {
			if y := tg.at(i, j); y != 0 {
				total -= float64(y) * math.Log(min(max(float64(pj)/s, eps), 1-eps))
			}
		}
	}
	return total
}

// CrossEntropyProbsGrad adds scale times the gradient of CrossEntropyProbs
// with respect to p to dp (m, n). With s the row's sum and q = p/s:
// ∂L/∂q_j = -y_j/q_j where q_j lies within the clip range and 0 outside
// (the clip passes no gradient), and
// dp[i,k] += scale·(∂L/∂q_k - Σ_j ∂L/∂q_j·q_j)/s.
func CrossEntropyProbsGrad(dp, p, t []float32, m, n int, smoothing, scale float32, eps float64) {
	checkTargets("CrossEntropyProbsGrad", m, n, len(p), len(t), false)
	checkMatrix("CrossEntropyProbsGrad", m, n, len(dp))
	crossEntropyProbsGrad(dp, p, targets{t, n, false, smoothing}, m, scale, eps)
}

// SparseCrossEntropyProbsGrad is CrossEntropyProbsGrad for class labels
// (m).
func SparseCrossEntropyProbsGrad(dp, p, labels []float32, m, n int, scale float32, eps float64) {
	checkTargets("SparseCrossEntropyProbsGrad", m, n, len(p), len(labels), true)
	checkMatrix("SparseCrossEntropyProbsGrad", m, n, len(dp))
	crossEntropyProbsGrad(dp, p, targets{labels, n, true, 0}, m, scale, eps)
}

func crossEntropyProbsGrad(dp, p []float32, tg targets, m int, scale float32, eps float64) {
	n := tg.n
	for i := 0; i < m; i++ {
		row := p[i*n : (i+1)*n]
		s := Sum(row)
		var dot float64
		for j, pj := range row {
			q := float64(pj) / s
			dot += dq(tg.at(i, j), q, eps) * q
		}
		for j, pj := range row {
			q := float64(pj) / s
			dp[i*n+j] += scale * float32((dq(tg.at(i, j), q, eps)-dot)/s)
		}
	}
}

// dq is ∂L/∂q for target y: -y/q, or 0 where the clip to [eps, 1-eps]
// bites.
func dq(y float32, q, eps float64) float64 {
	if y == 0 || q < eps || q > 1-eps {
		return 0
	}
	return -float64(y) / q
}

// BinaryCrossEntropy returns Σ_i -(y_i·log q_i + (1-y_i)·log(1-q_i)) over
// the probabilities p, with q = p clipped to [eps, 1-eps] and the targets
// t (of p's length) smoothed to y = t·(1-smoothing) + smoothing/2, all in
// float64.
func BinaryCrossEntropy(p, t []float32, smoothing, eps float64) float64 {
	checkLen("BinaryCrossEntropy", len(p), len(t))
	t = t[:len(p)]
	var s float64
	for i, v := range p {
		y, q := float64(t[i])*(1-smoothing)+0.5*smoothing, min(max(float64(v), eps), 1-eps)
		s -= y*math.Log(q) + (1-y)*math.Log(1-q)
	}
	return s
}

// BinaryCrossEntropyGrad adds scale times the gradient of
// BinaryCrossEntropy to dp: dp_i += scale·((1-y_i)/(1-p_i) - y_i/p_i) where
// p_i lies in [eps, 1-eps], nothing elsewhere (the clip passes no
// gradient, as in Keras).
func BinaryCrossEntropyGrad(dp, p, t []float32, smoothing, eps, scale float64) {
	checkLen("BinaryCrossEntropyGrad", len(p), len(t), len(dp))
	t, dp = t[:len(p)], dp[:len(p)]
	for i, v := range p {
		y, z := float64(t[i])*(1-smoothing)+0.5*smoothing, float64(v)
		if z >= eps && z <= 1-eps {
			dp[i] += float32(scale * ((1-y)/(1-z) - y/z))
		}
	}
}

// BinaryCrossEntropyLogits is BinaryCrossEntropy on logits z, p = σ(z), in
// the stable form Σ_i max(z_i, 0) - z_i·y_i + log(1 + e^-|z_i|), without
// clipping.
func BinaryCrossEntropyLogits(z, t []float32, smoothing float64) float64 {
	checkLen("BinaryCrossEntropyLogits", len(z), len(t))
	t = t[:len(z)]
	var s float64
	for i, v := range z {
		y, x := float64(t[i])*(1-smoothing)+0.5*smoothing, float64(v)
		s += max(x, 0) - x*y + math.Log1p(math.Exp(-math.Abs(x)))
	}
	return s
}

// BinaryCrossEntropyLogitsGrad adds scale times the gradient of
// BinaryCrossEntropyLogits to dz: dz_i += scale·(σ(z_i) - y_i), σ in
// float64.
func BinaryCrossEntropyLogitsGrad(dz, z, t []float32, smoothing, scale float64) {
	checkLen("BinaryCrossEntropyLogitsGrad", len(z), len(t), len(dz))
	t, dz = t[:len(z)], dz[:len(z)]
	for i, v := range z {
		y, x := float64(t[i])*(1-smoothing)+0.5*smoothing, float64(v)
		dz[i] += float32(scale * (sigmoid64(x) - y))
	}
}

// sigmoid64 is 1/(1+e^-x) in float64, in the form that cannot overflow.
func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
