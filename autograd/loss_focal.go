package autograd

import (
	"fmt"
	"math"
)

// Keras's focal losses (Lin et al., 2018): cross-entropy weighted by
// (1 - p_t)^γ, which shrinks the loss of examples already classified well.

// categoricalFocal is Keras's categorical_focal_crossentropy: targets are
// smoothed, y ← y(1-ε) + ε/n; probabilities q (the softmax of logits, or
// the prediction renormalised to sum 1) are clipped to c ∈ [Epsilon,
// 1-Epsilon]; per row Σ_j α_j·(1-c_j)^γ·(-y_j·log c_j), averaged over rows.
type categoricalFocal struct {
	pred, target *Var
	alpha        []float64 // one per class
	gamma        float64
	fromLogits   bool
	smoothing    float64
	m, n         int
	q, g         []float64 // probabilities and dLoss/dq of the last Forward
	sums         []float64 // per row, the Σp that normalised q (1 for logits)
	loss         float64
}

// CategoricalFocalCrossentropy adds the loss for one-hot targets of pred's
// shape. alpha holds one weight for every class or one per class.
func (p *Plan) CategoricalFocalCrossentropy(pred, target *Var, alpha []float64, gamma float64, fromLogits bool, labelSmoothing float64) LossOp {
	checkSameShape("CategoricalFocalCrossentropy", pred, target)
	m, n := mustRows("CategoricalFocalCrossentropy", pred)
	a := make([]float64, n)
	switch len(alpha) {
	case 1:
		for j := range a {
			a[j] = alpha[0]
		}
	case n:
		copy(a, alpha)
	default:
		panic(fmt.Sprintf("autograd: CategoricalFocalCrossentropy with %d alphas for %d classes", len(alpha), n))
	}
	op := &categoricalFocal{pred: pred, target: target, alpha: a, gamma: gamma, fromLogits: fromLogits,
		smoothing: labelSmoothing, m: m, n: n,
		q: make([]float64, m*n), g: make([]float64, m*n), sums: make([]float64, m)}
	p.add(op)
	return op
}

// probs fills q's row r from the prediction: softmax of logits, or the
// row divided by its sum, which it returns (1 for logits).
func (o *categoricalFocal) probs(r int) float64 {
	p, q := o.pred.Value.Data()[r*o.n:(r+1)*o.n], o.q[r*o.n:(r+1)*o.n]
	var sum float64
	if o.fromLogits {
		hi := math.Inf(-1)
		for _, v := range p {
			hi = max(hi, float64(v))
		}
		for j, v := range p {
			q[j] = math.Exp(float64(v) - hi)
			sum += q[j]
		}
	} else {
		for _, v := range p {
			sum += float64(v)
		}
		for j, v := range p {
			q[j] = float64(v)
		}
	}
	for j := range q {
		q[j] /= sum
	}
	if o.fromLogits {
		return 1
	}
	return sum
}

func (o *categoricalFocal) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for r := range o.m {
		o.sums[r] = o.probs(r)
		for j := r * o.n; j < (r+1)*o.n; j++ {
			y := float64(t[j])*(1-o.smoothing) + o.smoothing/float64(o.n)
			c := min(max(o.q[j], Epsilon), 1-Epsilon)
			a := o.alpha[j-r*o.n]
			s += a * math.Pow(1-c, o.gamma) * (-y * math.Log(c))
			// dLoss_j/dq_j, 0 where the clip bites.
			o.g[j] = 0
			if o.q[j] >= Epsilon && o.q[j] <= 1-Epsilon {
				o.g[j] = a * y * (o.gamma*math.Pow(1-c, o.gamma-1)*math.Log(c) - math.Pow(1-c, o.gamma)/c)
			}
		}
	}
	o.loss = s / float64(o.m)
}

// Backward takes dLoss/dq back through the normalisation q = p/Σp, giving
// (g_k - Σ_j g_j q_j)/Σp, or through the softmax, q_k (g_k - Σ_j g_j q_j).
func (o *categoricalFocal) Backward() {
	if o.pred.Grad == nil {
		return
	}
	gp := o.pred.Grad.Data()
	inv := 1 / float64(o.m)
	for r := range o.m {
		sum := o.sums[r]
		q, g := o.q[r*o.n:(r+1)*o.n], o.g[r*o.n:(r+1)*o.n]
		var dot float64
		for j := range q {
			dot += g[j] * q[j]
		}
		for k := range q {
			d := (g[k] - dot) / sum
			if o.fromLogits {
				d = q[k] * (g[k] - dot)
			}
			gp[r*o.n+k] += float32(d * inv)
		}
	}
}

func (o *categoricalFocal) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean of its rows' losses, from the
// probabilities q of the last Forward.
func (o *categoricalFocal) SampleLosses(dst []float64) {
	samplesOf("CategoricalFocalCrossentropy", o.pred, dst)
	t := o.target.Value.Data()
	r := o.m / len(dst)
	for s := range dst {
		var sum float64
		for j := s * r * o.n; j < (s+1)*r*o.n; j++ {
			y := float64(t[j])*(1-o.smoothing) + o.smoothing/float64(o.n)
			c := min(max(o.q[j], Epsilon), 1-Epsilon)
			sum += o.alpha[j%o.n] * math.Pow(1-c, o.gamma) * (-y * math.Log(c))
		}
		dst[s] = sum / float64(r)
	}
}

// binaryFocal is Keras's binary_focal_crossentropy, the mean over every
// element of w·(1 - p_t)^γ·bce, where targets are smoothed toward 0.5,
// y ← y(1-ε) + ε/2; p is the prediction (the sigmoid of a logit); bce is
// binary cross-entropy on p clipped to [Epsilon, 1-Epsilon];
// p_t = y·p + (1-y)(1-p); and w = α·y + (1-α)(1-y) with class balancing,
// else 1.
type binaryFocal struct {
	pred, target *Var
	balancing    bool
	alpha, gamma float64
	fromLogits   bool
	smoothing    float64
	loss         float64
}

// BinaryFocalCrossentropy adds the loss for targets in [0, 1] with as many
// values as pred.
func (p *Plan) BinaryFocalCrossentropy(pred, target *Var, balancing bool, alpha, gamma float64, fromLogits bool, labelSmoothing float64) LossOp {
	checkSameLen("BinaryFocalCrossentropy", pred, target)
	op := &binaryFocal{pred: pred, target: target, balancing: balancing, alpha: alpha, gamma: gamma,
		fromLogits: fromLogits, smoothing: labelSmoothing}
	p.add(op)
	return op
}

// element returns one element's loss and its derivative with respect to
// the prediction (the logit when fromLogits).
func (o *binaryFocal) element(v, t float32) (loss, grad float64) {
	y := float64(t)*(1-o.smoothing) + 0.5*o.smoothing
	p := float64(v)
	if o.fromLogits {
		p = 1 / (1 + math.Exp(-p))
	}
	c := min(max(p, Epsilon), 1-Epsilon)
	bce := -(y*math.Log(c) + (1-y)*math.Log(1-c))
	pt := y*p + (1-y)*(1-p)
	ff := math.Pow(1-pt, o.gamma)
	w := 1.0
	if o.balancing {
		w = o.alpha*y + (1-o.alpha)*(1-y)
	}
	dbce := 0.0
	if p >= Epsilon && p <= 1-Epsilon {
		dbce = -(y/c - (1-y)/(1-c))
	}
	dff := 0.0 // d(1-p_t)^γ/dp = -γ(1-p_t)^(γ-1)·(2y-1)
	if 1-pt > 0 || o.gamma >= 1 {
		dff = -o.gamma * math.Pow(1-pt, o.gamma-1) * (2*y - 1)
	}
	grad = w * (dff*bce + ff*dbce)
	if o.fromLogits {
		grad *= p * (1 - p)
	}
	return w * ff * bce, grad
}

func (o *binaryFocal) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		l, _ := o.element(v, t[i])
		s += l
	}
	o.loss = s / float64(len(t))
}

func (o *binaryFocal) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float64(len(t))
	for i, v := range o.pred.Value.Data() {
		_, d := o.element(v, t[i])
		g[i] += float32(d * inv)
	}
}

func (o *binaryFocal) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean of its elements' losses.
func (o *binaryFocal) SampleLosses(dst []float64) {
	sampleMeans("BinaryFocalCrossentropy", dst, o.pred, o.target, func(p, y float32) float64 {
		l, _ := o.element(p, y)
		return l
	})
}
