package autograd_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// Every built-in loss says each sample's loss (SampleLosser), as Keras's
// sample_weight needs: checked here from outside the package, against
// Keras's formulas written again in float64, and through ScaleRows against
// central differences of the weighted loss Σ wᵢ·lᵢ / N.

const sampleBatch = 4

// sampleCase is one loss: gen draws a prediction of rows×n values and its
// targets (rows×n, or rows class indices when sparse); row is Keras's loss
// of one row of the prediction, reduced over the last axis.
type sampleCase struct {
	name   string
	sparse bool
	gen    func(rng *rand.Rand, rows, n int) (pred, target []float32)
	build  func(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp
	row    func(p, y []float64) float64
	step   float64 // finite-difference step, 0 for the checker's default
}

// drawN returns k draws of f.
func drawN(k int, f func() float64) []float32 {
	out := make([]float32, k)
	for i := range out {
		out[i] = float32(f())
	}
	return out
}

// drawAway returns a draw of f at least gap from every kink.
func drawAway(f func() float64, gap float64, kinks ...float64) float64 {
	for {
		v := f()
		ok := true
		for _, k := range kinks {
			ok = ok && math.Abs(v-k) > gap
		}
		if ok {
			return v
		}
	}
}

// regressionData draws normal targets and predictions whose error stays 0.1
// away from 0 and from ±kinks.
func regressionData(kinks ...float64) func(*rand.Rand, int, int) ([]float32, []float32) {
	return func(rng *rand.Rand, rows, n int) ([]float32, []float32) {
		var ks []float64
		for _, k := range append([]float64{0}, kinks...) {
			ks = append(ks, k, -k)
		}
		target := drawN(rows*n, rng.NormFloat64)
		pred := make([]float32, len(target))
		for i, y := range target {
			pred[i] = y + float32(drawAway(func() float64 { return 2 * rng.NormFloat64() }, 0.1, ks...))
		}
		return pred, target
	}
}

// elementData makes a generator from one draw per prediction and per target.
func elementData(pred, target func(rng *rand.Rand) float64) func(*rand.Rand, int, int) ([]float32, []float32) {
	return func(rng *rand.Rand, rows, n int) ([]float32, []float32) {
		return drawN(rows*n, func() float64 { return pred(rng) }), drawN(rows*n, func() float64 { return target(rng) })
	}
}

// classData draws predictions and one-hot targets, or class indices when
// sparse.
func classData(pred func(rng *rand.Rand) float64, sparse bool) func(*rand.Rand, int, int) ([]float32, []float32) {
	return func(rng *rand.Rand, rows, n int) ([]float32, []float32) {
		p := drawN(rows*n, func() float64 { return pred(rng) })
		if sparse {
			return p, drawN(rows, func() float64 { return float64(rng.IntN(n)) })
		}
		t := make([]float32, rows*n)
		for r := range rows {
			t[r*n+rng.IntN(n)] = 1
		}
		return p, t
	}
}

func drawNormal(rng *rand.Rand) float64 { return rng.NormFloat64() }
func drawUnit(rng *rand.Rand) float64   { return 0.05 + 0.9*rng.Float64() }
func drawBit(rng *rand.Rand) float64    { return float64(rng.IntN(2)) }
func drawSign(rng *rand.Rand) float64   { return float64(2*rng.IntN(2) - 1) }

// rowMean is a row's mean of f over its elements.
func rowMean(f func(p, y float64) float64) func(p, y []float64) float64 {
	return func(p, y []float64) float64 {
		var s float64
		for j := range p {
			s += f(p[j], y[j])
		}
		return s / float64(len(p))
	}
}

func clip64(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

func sigmoid64(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// softmax64 is the softmax of a row of logits.
func softmax64(z []float64) []float64 {
	hi := slices.Max(z)
	out := make([]float64, len(z))
	var s float64
	for j, v := range z {
		out[j] = math.Exp(v - hi)
		s += out[j]
	}
	for j := range out {
		out[j] /= s
	}
	return out
}

// normalized64 is a row of probabilities divided by its sum, as Keras's
// probability losses take it.
func normalized64(p []float64) []float64 {
	var s float64
	for _, v := range p {
		s += v
	}
	out := make([]float64, len(p))
	for j, v := range p {
		out[j] = v / s
	}
	return out
}

// crossEntropyRow is -Σ y·log(clip(q)) with targets smoothed toward 1/n
// (sparse: y holds the class index).
func crossEntropyRow(q, y []float64, smoothing float64) float64 {
	var s float64
	for j := range q {
		t := 0.0
		if len(y) == 1 && len(q) > 1 {
			if int(y[0]) == j {
				t = 1
			}
		} else {
			t = y[j]
		}
		t = t*(1-smoothing) + smoothing/float64(len(q))
		s -= t * math.Log(clip64(q[j], autograd.Epsilon, 1-autograd.Epsilon))
	}
	return s
}

// bceElement is Keras's binary cross-entropy of one element: on logits
// through the sigmoid, on probabilities clipped.
func bceElement(p, y, smoothing float64, logits bool) float64 {
	y = y*(1-smoothing) + 0.5*smoothing
	if logits {
		p = sigmoid64(p)
	}
	p = clip64(p, autograd.Epsilon, 1-autograd.Epsilon)
	return -(y*math.Log(p) + (1-y)*math.Log(1-p))
}

// categoricalFocalRow is Keras's categorical_focal_crossentropy of a row.
func categoricalFocalRow(alpha []float64, gamma float64, logits bool, smoothing float64) func(p, y []float64) float64 {
	return func(p, y []float64) float64 {
		if logits {
			p = softmax64(p)
		}
		q := normalized64(p)
		var s float64
		for j := range q {
			t := y[j]*(1-smoothing) + smoothing/float64(len(q))
			c := clip64(q[j], autograd.Epsilon, 1-autograd.Epsilon)
			s += alpha[j%len(alpha)] * math.Pow(1-c, gamma) * -t * math.Log(c)
		}
		return s
	}
}

// binaryFocalElement is Keras's binary_focal_crossentropy of one element.
func binaryFocalElement(balancing bool, alpha, gamma float64, logits bool, smoothing float64) func(p, y float64) float64 {
	return func(p, y float64) float64 {
		bce := bceElement(p, y, smoothing, logits)
		y = y*(1-smoothing) + 0.5*smoothing
		if logits {
			p = sigmoid64(p)
		}
		pt := y*p + (1-y)*(1-p)
		l := math.Pow(1-pt, gamma) * bce
		if balancing {
			l *= alpha*y + (1-alpha)*(1-y)
		}
		return l
	}
}

func hingeElement(squared, binary bool) func(p, y float64) float64 {
	return func(p, y float64) float64 {
		if binary {
			y = 2*y - 1
		}
		h := math.Max(1-y*p, 0)
		if squared {
			h *= h
		}
		return h
	}
}

// categoricalHingeData draws one-hot targets and predictions whose rows
// stay 0.1 away from the loss's kinks: a tie for the largest (1-y)·p (the
// target's class counting 0), and a loss of 0.
func categoricalHingeData(rng *rand.Rand, rows, n int) ([]float32, []float32) {
	pred, target := classData(drawNormal, false)(rng, rows, n)
	for r := 0; r < rows; r++ {
		p, y := pred[r*n:(r+1)*n], target[r*n:(r+1)*n]
		var pos float64
		q := make([]float64, n)
		for j := range p {
			pos += float64(y[j] * p[j])
			q[j] = float64((1 - y[j]) * p[j])
		}
		slices.Sort(q)
		if q[n-1]-q[n-2] < 0.1 || math.Abs(q[n-1]-pos+1) < 0.1 {
			copy(p, drawN(n, rng.NormFloat64))
			r-- // draw the row again
		}
	}
	return pred, target
}

// crossEntropyCases are the categorical cross-entropies, on probabilities,
// on logits and on a softmax's output (the fused path).
func crossEntropyCases() []sampleCase {
	withSoftmax := func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
		return p.CategoricalCrossentropy(p.Softmax(x), y, false, 0)
	}
	sparseSoftmax := func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
		return p.SparseCategoricalCrossentropy(p.Softmax(x), y, false)
	}
	probs := func(s float64) func(p, y []float64) float64 {
		return func(p, y []float64) float64 { return crossEntropyRow(normalized64(p), y, s) }
	}
	logits := func(s float64) func(p, y []float64) float64 {
		return func(p, y []float64) float64 { return crossEntropyRow(softmax64(p), y, s) }
	}
	return []sampleCase{
		{"CategoricalCrossentropy probabilities, smoothing", false, classData(drawUnit, false), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.CategoricalCrossentropy(x, y, false, 0.1)
		}, probs(0.1), 1e-3},
		{"CategoricalCrossentropy logits, smoothing", false, classData(drawNormal, false), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.CategoricalCrossentropy(x, y, true, 0.2)
		}, logits(0.2), 0},
		{"CategoricalCrossentropy of a softmax", false, classData(drawNormal, false), withSoftmax, logits(0), 0},
		{"SparseCategoricalCrossentropy probabilities", true, classData(drawUnit, true), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.SparseCategoricalCrossentropy(x, y, false)
		}, probs(0), 1e-3},
		{"SparseCategoricalCrossentropy logits", true, classData(drawNormal, true), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.SparseCategoricalCrossentropy(x, y, true)
		}, logits(0), 0},
		{"SparseCategoricalCrossentropy of a softmax", true, classData(drawNormal, true), sparseSoftmax, logits(0), 0},
		{"BinaryCrossentropy probabilities, smoothing", false, elementData(drawUnit, drawBit), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.BinaryCrossentropy(x, y, false, 0.1)
		}, rowMean(func(p, y float64) float64 { return bceElement(p, y, 0.1, false) }), 1e-3},
		{"BinaryCrossentropy logits", false, elementData(drawNormal, drawUnit), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.BinaryCrossentropy(x, y, true, 0)
		}, rowMean(func(p, y float64) float64 { return bceElement(p, y, 0, true) }), 0},
	}
}

func sampleCases() []sampleCase {
	hingePred := func(rng *rand.Rand) float64 { return drawAway(rng.NormFloat64, 0.1, 1, -1) }
	cases := []sampleCase{
		{"MeanSquaredError", false, regressionData(), (*autograd.Plan).MeanSquaredError, rowMean(func(p, y float64) float64 {
			return (y - p) * (y - p)
		}), 0},
		{"MeanAbsoluteError", false, regressionData(), (*autograd.Plan).MeanAbsoluteError, rowMean(func(p, y float64) float64 {
			return math.Abs(y - p)
		}), 0},
		{"MeanAbsolutePercentageError", false, func(rng *rand.Rand, rows, n int) ([]float32, []float32) {
			target := drawN(rows*n, func() float64 { return drawAway(rng.NormFloat64, 0.5, 0) })
			pred := make([]float32, len(target))
			for i, y := range target {
				pred[i] = y + float32(drawAway(rng.NormFloat64, 0.1, 0))
			}
			return pred, target
		}, (*autograd.Plan).MeanAbsolutePercentageError, rowMean(func(p, y float64) float64 {
			return 100 * math.Abs(y-p) / math.Max(math.Abs(y), autograd.Epsilon)
		}), 0},
		{"Huber delta 0.5", false, regressionData(0.5), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.Huber(x, y, 0.5)
		}, rowMean(func(p, y float64) float64 {
			if e := math.Abs(p - y); e > 0.5 {
				return 0.5*e - 0.5*0.5*0.5
			}
			return 0.5 * (p - y) * (p - y)
		}), 0},
		{"LogCosh", false, regressionData(), (*autograd.Plan).LogCosh, rowMean(func(p, y float64) float64 {
			return math.Log(math.Cosh(p - y))
		}), 0},
		{"Hinge ±1", false, elementData(hingePred, drawSign), (*autograd.Plan).Hinge, rowMean(hingeElement(false, false)), 0},
		{"Hinge 0/1", false, elementData(hingePred, drawBit), (*autograd.Plan).Hinge, rowMean(hingeElement(false, true)), 0},
		{"SquaredHinge ±1", false, elementData(drawNormal, drawSign), (*autograd.Plan).SquaredHinge, rowMean(hingeElement(true, false)), 0},
		{"CategoricalHinge", false, categoricalHingeData, (*autograd.Plan).CategoricalHinge, func(p, y []float64) float64 {
			var pos, neg float64
			for j := range p {
				pos += y[j] * p[j]
				neg = math.Max(neg, (1-y[j])*p[j]) // Keras's max over the row; 0 is where the one-hot class is
			}
			return math.Max(neg-pos+1, 0)
		}, 0},
		{"KLDivergence", false, elementData(drawUnit, drawUnit), (*autograd.Plan).KLDivergence, func(p, y []float64) float64 {
			var s float64
			for j := range p {
				t := clip64(y[j], autograd.Epsilon, 1)
				s += t * math.Log(t/clip64(p[j], autograd.Epsilon, 1))
			}
			return s
		}, 1e-3},
		{"Poisson", false, elementData(func(rng *rand.Rand) float64 { return 0.5 + 2*rng.Float64() }, func(rng *rand.Rand) float64 {
			return float64(rng.IntN(4))
		}), (*autograd.Plan).Poisson, rowMean(func(p, y float64) float64 { return p - y*math.Log(p+autograd.Epsilon) }), 1e-3},
		{"CategoricalFocalCrossentropy probabilities", false, classData(drawUnit, false), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.CategoricalFocalCrossentropy(x, y, []float64{0.25}, 2, false, 0)
		}, categoricalFocalRow([]float64{0.25}, 2, false, 0), 1e-3},
		{"CategoricalFocalCrossentropy logits, per-class alpha, smoothing", false, classData(drawNormal, false), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.CategoricalFocalCrossentropy(x, y, []float64{0.2, 0.3, 0.5}, 1.5, true, 0.1)
		}, categoricalFocalRow([]float64{0.2, 0.3, 0.5}, 1.5, true, 0.1), 1e-3},
		{"BinaryFocalCrossentropy probabilities", false, elementData(drawUnit, drawBit), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.BinaryFocalCrossentropy(x, y, false, 0.25, 2, false, 0)
		}, rowMean(binaryFocalElement(false, 0.25, 2, false, 0)), 1e-3},
		{"BinaryFocalCrossentropy logits, balanced, smoothing", false, elementData(drawNormal, drawBit), func(p *autograd.Plan, x, y *autograd.Var) autograd.LossOp {
			return p.BinaryFocalCrossentropy(x, y, true, 0.3, 3, true, 0.2)
		}, rowMean(binaryFocalElement(true, 0.3, 3, true, 0.2)), 0},
	}
	return append(cases, crossEntropyCases()...)
}

// sampleShapes are the prediction shapes every case runs on: one row per
// sample, and two (a sample's value is then its rows' mean, as Keras
// averages the non-batch axes left after the last).
var sampleShapes = [][]int{{sampleBatch, 3}, {sampleBatch, 2, 3}}

// sampleData draws a case's prediction and target for shape.
func sampleData(c sampleCase, rng *rand.Rand, shape []int) (pred, target *tensor.Tensor) {
	n := shape[len(shape)-1]
	rows := tensor.Numel(shape) / n
	pv, tv := c.gen(rng, rows, n)
	tshape := shape
	if c.sparse {
		tshape = shape[:len(shape)-1]
	}
	return mustTensor(tensor.FromSlice(pv, shape...)), mustTensor(tensor.FromSlice(tv, tshape...))
}

// wantSampleLosses is Keras's per-sample loss in float64: each row's
// value, averaged over the sample's rows.
func wantSampleLosses(c sampleCase, pred, target *tensor.Tensor) []float64 {
	n := pred.Dim(pred.Rank() - 1)
	rows := pred.Len() / n
	tn := target.Len() / rows
	perSample := rows / sampleBatch
	want := make([]float64, sampleBatch)
	for r := range rows {
		p := make([]float64, n)
		for j := range p {
			p[j] = float64(pred.Data()[r*n+j])
		}
		y := make([]float64, tn)
		for j := range y {
			y[j] = float64(target.Data()[r*tn+j])
		}
		want[r/perSample] += c.row(p, y) / float64(perSample)
	}
	return want
}

func TestSampleLosses(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	for _, c := range sampleCases() {
		for _, shape := range sampleShapes {
			predT, targetT := sampleData(c, rng, shape)
			p := autograd.NewPlan(sampleBatch)
			pred := p.NewVar(true, shape...)
			copy(pred.Value.Data(), predT.Data())
			l, ok := c.build(p, pred, &autograd.Var{Value: targetT}).(autograd.SampleLosser)
			if !ok {
				t.Errorf("%s: the loss op is not a SampleLosser", c.name)
				continue
			}
			p.Forward(true)
			got := make([]float64, sampleBatch)
			l.SampleLosses(got)
			var mean float64
			for _, v := range got {
				mean += v / sampleBatch
			}
			if d := math.Abs(mean - l.Loss()); d > 1e-6*math.Abs(l.Loss()) {
				t.Errorf("%s %v: mean of SampleLosses %v = %.9g, Loss() = %.9g", c.name, shape, got, mean, l.Loss())
			}
			want := wantSampleLosses(c, predT, targetT)
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-6+1e-5*math.Abs(want[i]) {
					t.Errorf("%s %v: sample %d's loss %.9g, Keras's formula gives %.9g", c.name, shape, i, got[i], want[i])
				}
			}
			if a := testing.AllocsPerRun(10, func() { l.SampleLosses(got) }); a != 0 {
				t.Errorf("%s %v: SampleLosses allocates %v times", c.name, shape, a)
			}
		}
	}
}

// weightedLoss is Σ wᵢ·lᵢ / N of the per-sample losses of a loss already
// in the plan. Its Backward does nothing: the gradient it checks is the
// one ScaleRows gives the inner loss's.
type weightedLoss struct {
	inner autograd.SampleLosser
	w     []float32
	per   []float64
	loss  float64
}

func (o *weightedLoss) Forward(bool) {
	o.inner.SampleLosses(o.per)
	o.loss = 0
	for i, l := range o.per {
		o.loss += float64(o.w[i]) * l
	}
	o.loss /= float64(len(o.per))
}

func (o *weightedLoss) Backward()     {}
func (o *weightedLoss) Loss() float64 { return o.loss }

// TestScaleRowsWeightsEveryLoss checks, for every loss, that a prediction
// passed through ScaleRows gets the gradient of Σ wᵢ·lᵢ / N, and that
// ScaleRows's forward pass copies its input bit for bit.
func TestScaleRowsWeightsEveryLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2))
	w := []float32{0, 0.5, 2, 1}
	for _, c := range sampleCases() {
		for _, shape := range sampleShapes {
			predT, targetT := sampleData(c, rng, shape)
			target := &autograd.Var{Value: targetT}
			err := autograd.CheckLossGradients(func(p *autograd.Plan, in []*autograd.Var) autograd.LossOp {
				inner := c.build(p, p.ScaleRows(in[0], w), target).(autograd.SampleLosser)
				op := &weightedLoss{inner: inner, w: w, per: make([]float64, sampleBatch)}
				p.AddOp(op)
				return op
			}, autograd.GradCheck{Step: c.step}, predT)
			if err != nil {
				t.Errorf("%s %v: %v", c.name, shape, err)
			}
		}
	}
	p := autograd.NewPlan(sampleBatch)
	x := p.NewVar(true, sampleBatch, 3)
	copy(x.Value.Data(), []float32{1, -2.5, 3e-30, float32(math.Pi), 1e30, -0.1, 7, 8, 9, float32(math.Inf(1)), float32(math.Copysign(0, -1)), 1.0 / 3})
	y := p.ScaleRows(x, w)
	p.Forward(true)
	for i, v := range x.Value.Data() {
		if math.Float32bits(y.Value.Data()[i]) != math.Float32bits(v) {
			t.Errorf("ScaleRows forward: element %d is %v, input %v", i, y.Value.Data()[i], v)
		}
	}
}

func mustTensor(t *tensor.Tensor, err error) *tensor.Tensor {
	if err != nil {
		panic(err)
	}
	return t
}
