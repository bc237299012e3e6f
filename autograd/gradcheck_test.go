package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

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
	{"Add", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := leaves(p, rng, 3, 3, 4)
		return p.probe(p.Add(xs...), rng), xs
	}},
	{"Add/same-input-twice", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := leaves(p, rng, 2, 3, 4)
		return p.probe(p.Add(xs[0], xs[1], xs[0]), rng), xs
	}},
	{"Subtract", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := leaves(p, rng, 2, 2, 3, 2)
		return p.probe(p.Subtract(xs...), rng), xs
	}},
	{"Multiply", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := leaves(p, rng, 3, 3, 4)
		return p.probe(p.Multiply(xs...), rng), xs
	}},
	{"Multiply/same-input-twice", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := leaves(p, rng, 1, 3, 4)
		return p.probe(p.Multiply(xs[0], xs[0]), rng), xs
	}},
	{"Multiply/constant", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := leaves(p, rng, 2, 3, 4)
		c := constant([]int{3, 4}, make([]float32, 12))
		fillTest(c.Value, rng, false)
		return p.probe(p.Multiply(xs[0], c, xs[1]), rng), xs
	}},
	{"Average", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := leaves(p, rng, 3, 3, 4)
		return p.probe(p.Average(xs...), rng), xs
	}},
	{"Maximum", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := apart(rng, leaves(p, rng, 3, 3, 4))
		return p.probe(p.Maximum(xs...), rng), xs
	}},
	{"Minimum", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := apart(rng, leaves(p, rng, 3, 2, 2, 3))
		return p.probe(p.Minimum(xs...), rng), xs
	}},
	{"Concatenate/rank2-axis1", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := []*Var{leaf(p, rng, false, 3, 2), leaf(p, rng, false, 3, 4)}
		return p.probe(p.Concatenate(1, xs...), rng), xs
	}},
	{"Concatenate/rank2-axis-1", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := []*Var{leaf(p, rng, false, 3, 3), leaf(p, rng, false, 3, 1), leaf(p, rng, false, 3, 2)}
		return p.probe(p.Concatenate(-1, xs...), rng), xs
	}},
	{"Concatenate/rank4-axis1", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := []*Var{leaf(p, rng, false, 2, 1, 3, 2), leaf(p, rng, false, 2, 2, 3, 2)}
		return p.probe(p.Concatenate(1, xs...), rng), xs
	}},
	{"Concatenate/rank4-axis-1", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := []*Var{leaf(p, rng, false, 2, 2, 3, 1), leaf(p, rng, false, 2, 2, 3, 3)}
		return p.probe(p.Concatenate(-1, xs...), rng), xs
	}},
	{"Concatenate/rank4-axis2-same-input-twice", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		xs := []*Var{leaf(p, rng, false, 2, 2, 1, 2), leaf(p, rng, false, 2, 2, 2, 2)}
		return p.probe(p.Concatenate(2, xs[0], xs[1], xs[0]), rng), xs
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

// forwardLoss returns a function that runs p forward and reads loss.
func forwardLoss(p *Plan, loss LossOp, training bool) func() float64 {
	return func() float64 {
		p.Forward(training)
		return loss.Loss()
	}
}

// checkGradients holds the gradients left in inputs by backward to central
// differences of eval (a forward pass returning the loss), within
// abs + rel·|numeric|, through the checker users call (gradcheck.go).
func checkGradients(t *testing.T, eval func() float64, backward func(), inputs []*Var, abs, rel float64) {
	t.Helper()
	targets := make([]gradTarget, len(inputs))
	for i, v := range inputs {
		targets[i] = gradTarget{fmt.Sprintf("input %d", i), v}
	}
	if err := checkVars(eval, backward, targets, GradCheck{Abs: abs, Rel: rel}); err != nil {
		t.Error(err)
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
