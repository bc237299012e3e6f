package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// probe is a test-only loss Σ y·r with fixed random r, which turns any op's
// output into a scalar whose gradient with respect to y is r.
type probe struct {
	y    *Var
	r    []float32
	loss float64
}

func (p *Plan) probe(y *Var, rng *rand.Rand) LossOp {
	op := &probe{y: y, r: make([]float32, y.Value.Len())}
	for i := range op.r {
		op.r[i] = float32(rng.NormFloat64())
	}
	p.add(op)
	return op
}

func (o *probe) Forward(bool) {
	var s float64
	for i, v := range o.y.Value.Data() {
		s += float64(v) * float64(o.r[i])
	}
	o.loss = s
}

func (o *probe) Backward() {
	if o.y.Grad == nil {
		return
	}
	g := o.y.Grad.Data()
	for i, r := range o.r {
		g[i] += r
	}
}

func (o *probe) Loss() float64 { return o.loss }

// leaf is a differentiable input for a gradient check.
func leaf(p *Plan, rng *rand.Rand, awayFromZero bool, shape ...int) *Var {
	v := &Var{Value: tensor.New(shape...), Grad: tensor.New(shape...)}
	p.grads = append(p.grads, v.Grad)
	fillTest(v.Value, rng, awayFromZero)
	return v
}

func param(p *Plan, rng *rand.Rand, name string, shape ...int) *Param {
	w := NewParam(name, true, shape...)
	fillTest(w.Value, rng, false)
	return w
}

// fillTest draws N(0,1) values; awayFromZero keeps them out of (-0.1, 0.1) so
// that a finite difference never straddles ReLU's kink.
func fillTest(t *tensor.Tensor, rng *rand.Rand, awayFromZero bool) {
	for i := range t.Data() {
		v := rng.NormFloat64()
		if awayFromZero && math.Abs(v) < 0.1 {
			v = math.Copysign(0.1+math.Abs(v), v)
		}
		t.Data()[i] = float32(v)
	}
}

func constant(shape []int, data []float32) *Var {
	t, err := tensor.FromSlice(data, shape...)
	if err != nil {
		panic(err)
	}
	return &Var{Value: t}
}

func oneHot(rng *rand.Rand, m, n int) *Var {
	t := tensor.New(m, n)
	for i := 0; i < m; i++ {
		t.Data()[i*n+rng.IntN(n)] = 1
	}
	return &Var{Value: t}
}

func classes(rng *rand.Rand, m, n int) *Var {
	t := tensor.New(m)
	for i := range t.Data() {
		t.Data()[i] = float32(rng.IntN(n))
	}
	return &Var{Value: t}
}

func positive(p *Plan, rng *rand.Rand, m, n int) (*Var, *Var) {
	x := leaf(p, rng, false, m, n)
	return x, p.Sigmoid(x)
}

type gradCase struct {
	name string
	// build makes the plan and returns its loss and the tensors to perturb
	// (each a value whose gradient the plan computes).
	build func(p *Plan, rng *rand.Rand) (LossOp, []*Var)
}

func params(ws ...*Param) []*Var {
	vs := make([]*Var, len(ws))
	for i, w := range ws {
		vs[i] = &w.Var
	}
	return vs
}

var gradCases = []gradCase{
	{"MatMul", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, w := leaf(p, rng, false, 3, 4), param(p, rng, "w", 4, 5)
		return p.probe(p.MatMul(x, w), rng), append([]*Var{x}, params(w)...)
	}},
	{"MatMul/rank3", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, w := leaf(p, rng, false, 2, 3, 4), param(p, rng, "w", 4, 2)
		return p.probe(p.MatMul(x, w), rng), append([]*Var{x}, params(w)...)
	}},
	{"BiasAdd", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, b := leaf(p, rng, false, 3, 4), param(p, rng, "b", 4)
		return p.probe(p.BiasAdd(x, b), rng), append([]*Var{x}, params(b)...)
	}},
	{"ReLU", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, true, 4, 5)
		return p.probe(p.ReLU(x), rng), []*Var{x}
	}},
	{"Sigmoid", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 4, 5)
		return p.probe(p.Sigmoid(x), rng), []*Var{x}
	}},
	{"Tanh", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 4, 5)
		return p.probe(p.Tanh(x), rng), []*Var{x}
	}},
	{"Softmax", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 3, 6)
		return p.probe(p.Softmax(x), rng), []*Var{x}
	}},
	{"Flatten", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, w := leaf(p, rng, false, 2, 3, 2), param(p, rng, "w", 6, 3)
		return p.probe(p.MatMul(p.Flatten(x), w), rng), append([]*Var{x}, params(w)...)
	}},
	{"MeanSquaredError", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 4, 3)
		t := leaf(p, rng, false, 4, 3)
		t.Grad = nil
		return p.MeanSquaredError(x, t), []*Var{x}
	}},
	{"MeanSquaredError/softmax", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 5, 10)
		return p.MeanSquaredError(p.Softmax(x), oneHot(rng, 5, 10)), []*Var{x}
	}},
	{"CategoricalCrossentropy/logits", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 4, 5)
		return p.CategoricalCrossentropy(x, oneHot(rng, 4, 5), true, 0), []*Var{x}
	}},
	{"CategoricalCrossentropy/fused-softmax", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 4, 5)
		return p.CategoricalCrossentropy(p.Softmax(x), oneHot(rng, 4, 5), false, 0), []*Var{x}
	}},
	{"CategoricalCrossentropy/smoothing", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 4, 5)
		return p.CategoricalCrossentropy(p.Softmax(x), oneHot(rng, 4, 5), false, 0.1), []*Var{x}
	}},
	{"CategoricalCrossentropy/probabilities", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, s := positive(p, rng, 4, 5)
		return p.CategoricalCrossentropy(s, oneHot(rng, 4, 5), false, 0), []*Var{x}
	}},
	{"SparseCategoricalCrossentropy/logits", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 4, 5)
		return p.SparseCategoricalCrossentropy(x, classes(rng, 4, 5), true), []*Var{x}
	}},
	{"SparseCategoricalCrossentropy/fused-softmax", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 4, 5)
		return p.SparseCategoricalCrossentropy(p.Softmax(x), classes(rng, 4, 5), false), []*Var{x}
	}},
	{"SparseCategoricalCrossentropy/probabilities", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, s := positive(p, rng, 4, 5)
		return p.SparseCategoricalCrossentropy(s, classes(rng, 4, 5), false), []*Var{x}
	}},
	{"MLP", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) { // the course's network, small
		x := constant([]int{3, 2, 4}, make([]float32, 24))
		fillTest(x.Value, rng, false)
		w1, b1 := param(p, rng, "w1", 8, 6), param(p, rng, "b1", 6)
		w2, b2 := param(p, rng, "w2", 6, 4), param(p, rng, "b2", 4)
		h := p.ReLU(p.BiasAdd(p.MatMul(p.Flatten(x), w1), b1))
		y := p.Softmax(p.BiasAdd(p.MatMul(h, w2), b2))
		return p.MeanSquaredError(y, oneHot(rng, 3, 4)), params(w1, b1, w2, b2)
	}},
}

// TestGradients checks every op's backward pass against central finite
// differences of its forward pass, accumulated in float64.
func TestGradients(t *testing.T) {
	for _, c := range gradCases {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(1)
			p := NewPlan(1)
			loss, inputs := c.build(p, rng)
			checkGradients(t, forwardLoss(p, loss, true), p.Backward, inputs, 2e-3, 2e-2)
		})
	}
}

// fdStep is the finite-difference step: large enough that float32 rounding
// of the loss stays well below the differences, small enough for the
// curvature of the ops checked.
const fdStep = 1e-2

// forwardLoss returns a function that runs p forward and reads loss.
func forwardLoss(p *Plan, loss LossOp, training bool) func() float64 {
	return func() float64 {
		p.Forward(training)
		return loss.Loss()
	}
}

// checkGradients runs eval (a forward pass returning the loss) and backward
// once, then compares every gradient left in inputs with the central
// difference of eval, within abs + rel·|numeric|. It is the one gradient
// check every op's test goes through.
func checkGradients(t *testing.T, eval func() float64, backward func(), inputs []*Var, abs, rel float64) {
	t.Helper()
	eval()
	backward()
	for vi, in := range inputs {
		analytic := in.Grad.Clone().Data()
		x := in.Value.Data()
		for i := range x {
			orig := x[i]
			x[i] = orig + fdStep
			up := eval()
			x[i] = orig - fdStep
			down := eval()
			x[i] = orig
			numeric := (up - down) / (2 * fdStep)
			if diff := math.Abs(numeric - float64(analytic[i])); diff > abs+rel*math.Abs(numeric) {
				t.Errorf("input %d element %d: analytic %.6f, numeric %.6f", vi, i, analytic[i], numeric)
			}
		}
	}
}

// TestLossValues checks the losses against values computed by hand.
func TestLossValues(t *testing.T) {
	p := NewPlan(1)
	pred := constant([]int{2, 2}, []float32{0.5, 0.5, 0.9, 0.1})
	target := constant([]int{2, 2}, []float32{1, 0, 0, 1})
	mse := p.MeanSquaredError(pred, target)
	cce := p.CategoricalCrossentropy(pred, target, false, 0)
	scce := p.SparseCategoricalCrossentropy(pred, constant([]int{2}, []float32{0, 1}), false)
	logits := constant([]int{1, 3}, []float32{1, 2, 3})
	cceLogits := p.CategoricalCrossentropy(logits, constant([]int{1, 3}, []float32{0, 0, 1}), true, 0)
	p.Forward(false)
	lse := math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"mse", mse.Loss(), (0.25 + 0.25 + 0.81 + 0.81) / 4},
		{"cce", cce.Loss(), -(math.Log(0.5) + math.Log(0.1)) / 2},
		{"scce", scce.Loss(), -(math.Log(0.5) + math.Log(0.1)) / 2},
		{"cce logits", cceLogits.Loss(), lse - 3},
	} {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s = %.8f, want %.8f", c.name, c.got, c.want)
		}
	}
}

func ExamplePlan() {
	p := NewPlan(2)
	x := p.Input(3)
	copy(x.Value.Data(), []float32{1, -2, 3, -4, 5, -6})
	w := NewParam("w", true, 3, 1)
	copy(w.Value.Data(), []float32{1, 1, 1})
	y := p.ReLU(p.MatMul(x, w))
	loss := p.MeanSquaredError(y, constant([]int{2, 1}, []float32{1, 0}))
	p.Forward(true)
	p.Backward()
	fmt.Println(y.Value.Data(), loss.Loss(), w.Grad.Data())
	// Output: [2 0] 0.5 [1 -2 3]
}
