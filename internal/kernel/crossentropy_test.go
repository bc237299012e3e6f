package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The references below are the losses written from their definitions in
// float64, on float64 inputs, so that their gradients can also be taken by
// central differences.

// smoothRef returns the targets y (m, n), in float64, of rows t or, when
// sparse, of class labels t (m), smoothed by s.
func smoothRef(t []float32, sparse bool, m, n int, s float64) []float64 {
	y := make([]float64, m*n)
	for i := range m {
		for j := range n {
			v := 0.0
			if !sparse {
				v = float64(t[i*n+j])
			} else if int(t[i]) == j {
				v = 1
			}
			y[i*n+j] = v*(1-s) + s/float64(n)
		}
	}
	return y
}

// ceLogitsRef is Σ_i Σ_j y[i,j]·(log Σ_k e^z[i,k] - z[i,j]).
func ceLogitsRef(z, y []float64, m, n int) float64 {
	var total float64
	for i := range m {
		mx := math.Inf(-1)
		for _, v := range z[i*n : (i+1)*n] {
			mx = max(mx, v)
		}
		var s float64
		for _, v := range z[i*n : (i+1)*n] {
			s += math.Exp(v - mx)
		}
		for j := range n {
			total += y[i*n+j] * (mx + math.Log(s) - z[i*n+j])
		}
	}
	return total
}

// ceProbsRef is Σ_i Σ_j -y[i,j]·log(clip(p[i,j]/Σ_k p[i,k])).
func ceProbsRef(p, y []float64, m, n int, eps float64) float64 {
	var total float64
	for i := range m {
		var s float64
		for _, v := range p[i*n : (i+1)*n] {
			s += v
		}
		for j := range n {
			if y[i*n+j] != 0 {
				total -= y[i*n+j] * math.Log(min(max(p[i*n+j]/s, eps), 1-eps))
			}
		}
	}
	return total
}

// bceRef is Σ_i -(y log q + (1-y) log(1-q)) with q = clip(p), or, on
// logits, q = σ(z) unclipped.
func bceRef(p []float64, t []float32, s, eps float64, logits bool) float64 {
	var total float64
	for i, v := range p {
		y := float64(t[i])*(1-s) + s/2
		q := min(max(v, eps), 1-eps)
		if logits {
			q = 1 / (1 + math.Exp(-v))
		}
		total -= y*math.Log(q) + (1-y)*math.Log(1-q)
	}
	return total
}

// numGrad is the central-difference gradient of f at x, in float64.
func numGrad(f func([]float64) float64, x []float64) []float64 {
	g := make([]float64, len(x))
	for i, v := range x {
		h := 1e-6 * max(1, math.Abs(v))
		x[i] = v + h
		up := f(x)
		x[i] = v - h
		g[i] = (up - f(x)) / (2 * h)
		x[i] = v
	}
	return g
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// checkLoss compares a loss with its reference, relative to the number of
// terms.
func checkLoss(t *testing.T, name string, got, want float64, terms int) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*(float64(terms)+math.Abs(want)) {
		t.Errorf("%s: loss %v, want %v", name, got, want)
	}
}

// checkGrad compares a gradient computed with scale with scale times the
// reference's central differences.
func checkGrad(t *testing.T, name string, got []float32, want []float64, scale float64) {
	t.Helper()
	for i := range got {
		if w := scale * want[i]; math.Abs(float64(got[i])-w) > 1e-4*(math.Abs(scale)+math.Abs(w)) {
			t.Fatalf("%s: gradient [%d] = %v, want %v", name, i, got[i], w)
		}
	}
}

// TestCrossEntropyConformance holds the categorical cross-entropies, dense
// (one-hot and soft targets, with and without label smoothing) and sparse,
// on logits and on probabilities, against the float64 references and
// their central differences; and the sparse functions against the dense
// ones on one-hot rows, bit for bit.
func TestCrossEntropyConformance(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	const eps = 1e-7
	for _, s := range [][2]int{{1, 1}, {3, 2}, {16, 10}, {5, 70}} {
		m, n := s[0], s[1]
		z := randSlice(r, m*n)
		for i := range z {
			z[i] *= 4
		}
		p := make([]float32, m*n)
		for i := range p {
			p[i] = 0.05 + float32(r.Float64()) // away from the clip, for the differences
		}
		labels, onehot, soft := make([]float32, m), make([]float32, m*n), make([]float32, m*n)
		for i := range m {
			labels[i] = float32(r.IntN(n))
			onehot[i*n+int(labels[i])] = 1
			for j := range n {
				soft[i*n+j] = float32(r.Float64()) / float32(n)
			}
		}
		softmax, lse := make([]float32, m*n), make([]float32, m)
		SoftmaxRows(softmax, z, m, n)
		const scale = 0.25
		for _, c := range []struct {
			t         []float32
			smoothing float32
		}{{onehot, 0}, {soft, 0}, {onehot, 0.1}} {
			name := fmt.Sprintf("%v smoothing %v", s, c.smoothing)
			y := smoothRef(c.t, false, m, n, float64(c.smoothing))
			lossZ := func(z []float64) float64 { return ceLogitsRef(z, y, m, n) }
			lossP := func(p []float64) float64 { return ceProbsRef(p, y, m, n, eps) }
			checkLoss(t, name+" logits", CrossEntropyLogits(lse, z, c.t, m, n, c.smoothing), lossZ(to64(z)), m*n)
			checkLoss(t, name+" probabilities", CrossEntropyProbs(p, c.t, m, n, c.smoothing, eps), lossP(to64(p)), m*n)
			dz, dp := make([]float32, m*n), make([]float32, m*n)
			CrossEntropyLogitsGrad(dz, softmax, c.t, m, n, c.smoothing, scale)
			CrossEntropyProbsGrad(dp, p, c.t, m, n, c.smoothing, scale, eps)
			checkGrad(t, name+" logits", dz, numGrad(lossZ, to64(z)), scale)
			checkGrad(t, name+" probabilities", dp, numGrad(lossP, to64(p)), scale)
		}
		// Sparse labels give the one-hot rows' bits.
		dense := []float64{CrossEntropyLogits(lse, z, onehot, m, n, 0), CrossEntropyProbs(p, onehot, m, n, 0, eps)}
		sparse := []float64{SparseCrossEntropyLogits(lse, z, labels, m, n), SparseCrossEntropyProbs(p, labels, m, n, eps)}
		g := make([][]float32, 4)
		for k := range g {
			g[k] = randSlice(r, m*n)
		}
		g[1], g[3] = clone(g[0]), clone(g[2])
		CrossEntropyLogitsGrad(g[0], softmax, onehot, m, n, 0, scale)
		SparseCrossEntropyLogitsGrad(g[1], softmax, labels, m, n, scale)
		CrossEntropyProbsGrad(g[2], p, onehot, m, n, 0, scale, eps)
		SparseCrossEntropyProbsGrad(g[3], p, labels, m, n, scale, eps)
		for k := range dense {
			if math.Float64bits(dense[k]) != math.Float64bits(sparse[k]) {
				t.Errorf("%v: sparse loss %d = %v, one-hot rows give %v", s, k, sparse[k], dense[k])
			}
		}
		for k := 0; k < 4; k += 2 {
			for i := range g[k] {
				if math.Float32bits(g[k][i]) != math.Float32bits(g[k+1][i]) {
					t.Fatalf("%v: sparse gradient %d [%d] = %v, one-hot rows give %v", s, k/2, i, g[k+1][i], g[k][i])
				}
			}
		}
	}
}

// TestCrossEntropyByHand: even logits over two classes cost log 2; a
// probability below the clip costs -log ε and passes no gradient; a -Inf
// logit of a class the target does not name adds nothing.
func TestCrossEntropyByHand(t *testing.T) {
	lse := make([]float32, 1)
	if got := CrossEntropyLogits(lse, []float32{0, 0}, []float32{1, 0}, 1, 2, 0); math.Abs(got-math.Ln2) > 1e-7 || math.Abs(float64(lse[0])-math.Ln2) > 1e-7 {
		t.Errorf("CrossEntropyLogits of even logits = %v (lse %v), want log 2", got, lse[0])
	}
	inf := float32(math.Inf(-1))
	if got := SparseCrossEntropyLogits(lse, []float32{3, inf}, []float32{0}, 1, 2); got != 0 {
		t.Errorf("SparseCrossEntropyLogits with a -Inf logit elsewhere = %v, want 0", got)
	}
	p, y := []float32{1e-9, 1}, []float32{1, 0}
	if got := CrossEntropyProbs(p, y, 1, 2, 0, 1e-7); math.Abs(got+math.Log(1e-7)) > 1e-9 {
		t.Errorf("CrossEntropyProbs of a clipped probability = %v, want %v", got, -math.Log(1e-7))
	}
	dp := make([]float32, 2)
	CrossEntropyProbsGrad(dp, p, y, 1, 2, 0, 1, 1e-7)
	if dp[0] != 0 || dp[1] != 0 {
		t.Errorf("CrossEntropyProbsGrad through the clip = %v, want 0", dp)
	}
	if got := BinaryCrossEntropy([]float32{0.5, 0}, []float32{1, 0}, 0, 1e-7); math.Abs(got-math.Ln2+math.Log1p(-1e-7)) > 1e-9 {
		t.Errorf("BinaryCrossEntropy of 0.5 and of a clipped 0 = %v, want %v", got, math.Ln2-math.Log1p(-1e-7))
	}
	if got := BinaryCrossEntropyLogits([]float32{0}, []float32{1}, 0); math.Abs(got-math.Ln2) > 1e-12 {
		t.Errorf("BinaryCrossEntropyLogits of 0 = %v, want log 2", got)
	}
}

// TestBinaryCrossEntropyConformance holds both binary cross-entropies and
// their gradients against bceRef and its central differences, with and
// without label smoothing.
func TestBinaryCrossEntropyConformance(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	const eps, scale = 1e-7, 0.125
	for _, n := range []int{1, 7, 64} {
		p, z, tg := make([]float32, n), randSlice(r, n), make([]float32, n)
		for i := range p {
			p[i] = 0.02 + 0.96*float32(r.Float64())
			z[i] *= 5
			tg[i] = float32(r.IntN(2))
			if i%3 == 0 {
				tg[i] = float32(r.Float64()) // soft targets
			}
		}
		for _, s := range []float64{0, 0.2} {
			name := fmt.Sprintf("n %d smoothing %v", n, s)
			lossP := func(x []float64) float64 { return bceRef(x, tg, s, eps, false) }
			lossZ := func(x []float64) float64 { return bceRef(x, tg, s, eps, true) }
			checkLoss(t, name, BinaryCrossEntropy(p, tg, s, eps), lossP(to64(p)), n)
			checkLoss(t, name+" logits", BinaryCrossEntropyLogits(z, tg, s), lossZ(to64(z)), n)
			dp, dz := make([]float32, n), make([]float32, n)
			BinaryCrossEntropyGrad(dp, p, tg, s, eps, scale)
			BinaryCrossEntropyLogitsGrad(dz, z, tg, s, scale)
			checkGrad(t, name, dp, numGrad(lossP, to64(p)), scale)
			checkGrad(t, name+" logits", dz, numGrad(lossZ, to64(z)), scale)
		}
	}
}

func TestCrossEntropyAllocatesNothingAndPanics(t *testing.T) {
	const m, n = 8, 10
	z, tg, g, lse, labels := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n), make([]float32, m), make([]float32, m)
	f := func() {
		CrossEntropyLogits(lse, z, tg, m, n, 0.1)
		SparseCrossEntropyLogits(lse, z, labels, m, n)
		CrossEntropyLogitsGrad(g, z, tg, m, n, 0.1, 1)
		SparseCrossEntropyProbsGrad(g, z, labels, m, n, 1, 1e-7)
		BinaryCrossEntropyLogitsGrad(g, z, tg, 0, 1)
	}
	if a := testing.AllocsPerRun(10, f); a != 0 {
		t.Errorf("cross-entropy allocates %v times", a)
	}
	mustPanic(t, "short targets", func() { CrossEntropyLogits(lse, z, tg[1:], m, n, 0) })
	mustPanic(t, "labels of the wrong length", func() { SparseCrossEntropyProbs(z, tg, m, n, 1e-7) })
	mustPanic(t, "short gradient", func() { CrossEntropyProbsGrad(g[1:], z, tg, m, n, 0, 1, 1e-7) })
	mustPanic(t, "short binary targets", func() { BinaryCrossEntropy(z, tg[1:], 0, 1e-7) })
}
