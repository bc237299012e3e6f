package autograd

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/internal/kernel"
)

// Epsilon is Keras's fuzz factor (keras.config.epsilon()): probabilities are
// clipped to [Epsilon, 1-Epsilon] before their log is taken.
const Epsilon = 1e-7

// crossEntropy is categorical cross-entropy over the last axis, averaged over
// the rows: -Σ_j y_j log p_j per row. Targets are either one-hot rows (n
// values each) or, when sparse, one class index per row.
//
// It works on logits whenever it can: when fromLogits is set, or when the
// prediction is a softmax output (the op then takes over the softmax's
// gradient, as Keras does). Then log p = z - logsumexp(z) is exact and the
// gradient is the familiar p - y. Otherwise it follows Keras's probability
// path: renormalize each row to sum 1, clip to [ε, 1-ε], take the log.
type crossEntropy struct {
	pred, target *Var
	logits       *Var // nil on the probability path
	probs        []float32
	lse          []float32
	m, n         int
	sparse       bool
	smoothing    float32
	loss         float64
}

// CategoricalCrossentropy adds the loss for one-hot (or soft) targets of
// pred's shape. labelSmoothing ε replaces targets by y(1-ε) + ε/n.
func (p *Plan) CategoricalCrossentropy(pred, target *Var, fromLogits bool, labelSmoothing float64) LossOp {
	checkSameShape("CategoricalCrossentropy", pred, target)
	return p.crossEntropy(pred, target, fromLogits, false, labelSmoothing)
}

// SparseCategoricalCrossentropy adds the loss for integer class targets:
// target holds one class index per row of pred (shape pred's without the
// last axis). The caller checks that indices are in range.
func (p *Plan) SparseCategoricalCrossentropy(pred, target *Var, fromLogits bool) LossOp {
	m, _ := rows(mustShape("SparseCategoricalCrossentropy", pred, 1))
	if target.Value.Len() != m {
		panic(fmt.Sprintf("autograd: SparseCategoricalCrossentropy of prediction %v and target %v", pred.Shape(), target.Shape()))
	}
	return p.crossEntropy(pred, target, fromLogits, true, 0)
}

func (p *Plan) crossEntropy(pred, target *Var, fromLogits, sparse bool, smoothing float64) LossOp {
	m, n := rows(pred.Shape())
	op := &crossEntropy{pred: pred, target: target, m: m, n: n, sparse: sparse, smoothing: float32(smoothing)}
	switch sm, ok := softmaxLogits(pred); {
	case fromLogits:
		op.logits = pred
		op.probs = make([]float32, m*n)
	case ok:
		sm.fused = true
		op.logits = sm.x
		op.probs = sm.y.Value.Data() // already computed by the softmax
	}
	op.lse = make([]float32, m)
	p.add(op)
	return op
}

// y returns the (smoothed) target of row i, column j.
func (o *crossEntropy) y(t []float32, i, j int) float32 {
	var v float32
	if o.sparse {
		if int(t[i]) == j {
			v = 1
		}
	} else {
		v = t[i*o.n+j]
	}
	if o.smoothing != 0 {
		v = v*(1-o.smoothing) + o.smoothing/float32(o.n)
	}
	return v
}

func (o *crossEntropy) Forward(bool) {
	t := o.target.Value.Data()
	var total float64
	if o.logits != nil {
		z := o.logits.Value.Data()
		kernel.LogSumExpRows(o.lse, z, o.m, o.n)
		if o.logits == o.pred { // from_logits: the softmax is ours to compute
			kernel.SoftmaxRows(o.probs, z, o.m, o.n)
		}
		for i := 0; i < o.m; i++ {
			for j := 0; j < o.n; j++ {
				if y := o.y(t, i, j); y != 0 {
					total += float64(y) * (float64(o.lse[i]) - float64(z[i*o.n+j]))
				}
			}
		}
	} else {
		pv := o.pred.Value.Data()
		for i := 0; i < o.m; i++ {
			row := pv[i*o.n : (i+1)*o.n]
			s := rowSum(row)
			for j, pj := range row {
				if y := o.y(t, i, j); y != 0 {
					total -= float64(y) * math.Log(clip(float64(pj)/s))
				}
			}
		}
	}
	o.loss = total / float64(o.m)
}

func (o *crossEntropy) Backward() {
	t := o.target.Value.Data()
	inv := 1 / float32(o.m)
	if o.logits != nil { // d/dz = (Σy)·p - y
		if o.logits.Grad == nil {
			return
		}
		g := o.logits.Grad.Data()
		for i := 0; i < o.m; i++ {
			var sy float32
			for j := 0; j < o.n; j++ {
				sy += o.y(t, i, j)
			}
			for j := 0; j < o.n; j++ {
				k := i*o.n + j
				g[k] += inv * (sy*o.probs[k] - o.y(t, i, j))
			}
		}
		return
	}
	if o.pred.Grad == nil {
		return
	}
	// Probability path. With s = Σp, q = p/s and c = clip(q):
	// dL/dq_j = -y_j/c_j inside the clip range (0 outside), and
	// dL/dp_k = (dL/dq_k - Σ_j dL/dq_j q_j) / s.
	pv, g := o.pred.Value.Data(), o.pred.Grad.Data()
	for i := 0; i < o.m; i++ {
		row := pv[i*o.n : (i+1)*o.n]
		s := rowSum(row)
		var dot float64
		for j, pj := range row {
			q := float64(pj) / s
			dot += dq(o.y(t, i, j), q) * q
		}
		for j, pj := range row {
			q := float64(pj) / s
			g[i*o.n+j] += inv * float32((dq(o.y(t, i, j), q)-dot)/s)
		}
	}
}

func (o *crossEntropy) Loss() float64 { return o.loss }

func dq(y float32, q float64) float64 {
	if y == 0 || q < Epsilon || q > 1-Epsilon {
		return 0
	}
	return -float64(y) / q
}

func clip(q float64) float64 { return min(max(q, Epsilon), 1-Epsilon) }

func rowSum(row []float32) float64 {
	var s float64
	for _, v := range row {
		s += float64(v)
	}
	return s
}
