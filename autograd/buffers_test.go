package autograd

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// extraCases are ops the gradient tables above do not build: the ONNX ops
// and the merges, each with a loss so that its whole output is read.
var extraCases = []gradCase{
	{"Transpose", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 2, 3, 2, 4)
		return p.probe(p.Transpose(x, 0, 3, 1, 2), rng), nil
	}},
	{"Pad2D/pad", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 2, 3, 2, 2)
		return p.probe(p.Pad2D(x, 1, 2, 0, 3), rng), nil
	}},
	{"Pad2D/crop", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 2, 4, 5, 2)
		return p.probe(p.Pad2D(x, -1, 1, 2, -2), rng), nil
	}},
	{"GlobalPools", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 3, 3, 2, 4)
		return p.probe(p.Concatenate(1, p.GlobalMaxPool2D(x), p.GlobalAvgPool2D(x)), rng), nil
	}},
	{"DepthwiseConv2D", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		g := Conv2DGeometry{StrideH: 2, StrideW: 1, DilationH: 1, DilationW: 2, PadTop: 1, PadLeft: 2, PadRight: 1}
		x, w, b := leaf(p, rng, false, 2, 5, 6, 3), param(p, rng, "w", 3, 2, 3, 2), param(p, rng, "b", 6)
		return p.probe(p.DepthwiseConv2D(x, w, b, g), rng), nil
	}},
	{"Conv2DTranspose", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		g := Conv2DGeometry{StrideH: 2, StrideW: 1, DilationH: 1, DilationW: 2, PadTop: 1, PadBottom: -1, PadLeft: 0, PadRight: 1}
		x, w := leaf(p, rng, false, 2, 3, 4, 3), param(p, rng, "w", 3, 2, 4, 3)
		return p.probe(p.ReLU(p.Conv2DTranspose(x, w, nil, g)), rng), nil
	}},
	{"ConstantArithmetic", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, c := leaf(p, rng, false, 2, 2, 3), param(p, rng, "c", 2, 1)
		return p.probe(p.ConstantArithmetic(x, c, ArithmeticSubtract, true), rng), nil
	}},
	{"Elementwise", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 3, 4)
		return p.probe(p.Erf(p.HardSigmoid(p.Clip(x, -0.5, 0.7), 0.2, 0.5)), rng), nil
	}},
	{"Merges", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		a, b, c := leaf(p, rng, false, 2, 3, 2), leaf(p, rng, false, 2, 3, 2), leaf(p, rng, false, 2, 3, 2)
		m := p.Concatenate(-1, p.Add(a, b, c), p.Average(a, b), p.Subtract(b, c), p.Multiply(a, b, c), p.Maximum(a, c), p.Minimum(b, a, c))
		return p.probe(p.ScaleGradient(m, 0.5), rng), nil
	}},
}

// TestInferenceOutputsOverwritten builds every op of the tables in a
// training plan, whose outputs start at zero, and in an inference plan
// whose pooled outputs start as NaN, and wants the same loss bits from
// both, twice: no op counts on a zeroed output or leaves part of it.
func TestInferenceOutputsOverwritten(t *testing.T) {
	poisonPool = true
	defer func() { poisonPool = false }()
	var cases []gradCase
	cases = append(cases, gradCases...)
	cases = append(cases, convGradCases...)
	cases = append(cases, extraCases...)
	for _, c := range moreCases {
		cases = append(cases, gradCase{c.name, func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
			loss, in, _ := c.build(p, rng)
			return loss, in
		}})
	}
	for _, c := range cases {
		run := func(p *Plan) [2]float64 {
			loss, _ := c.build(p, tensor.NewRNG(5))
			var out [2]float64
			for i := range out {
				p.Forward(false)
				out[i] = loss.Loss()
			}
			return out
		}
		train, infer := run(NewPlan(1)), run(NewInferencePlan(1))
		for i := range train {
			if math.Float64bits(train[i]) != math.Float64bits(infer[i]) || math.IsNaN(train[i]) {
				t.Errorf("%s: pass %d: loss %v in an inference plan, %v in a training plan", c.name, i, infer[i], train[i])
			}
		}
	}
}

// chain builds a layer-like step in its own scope and keeps its output.
func chain(p *Plan, f func() *Var) *Var {
	s := p.Scope()
	y := f()
	p.EndScope(s, y)
	return y
}

// TestScopesReuseBuffers: a chain of element-wise layers, each letting its
// input go, runs in two buffers of the largest size, with the values of a
// training plan; a value read twice (a skip connection) survives until its
// second reader.
func TestScopesReuseBuffers(t *testing.T) {
	poisonPool = true
	defer func() { poisonPool = false }()
	build := func(p *Plan, x *Var) *Var {
		a := chain(p, func() *Var { return p.Tanh(x) })
		b := chain(p, func() *Var { return p.Sigmoid(p.ReLU(a)) }) // an intermediate too
		c := chain(p, func() *Var { return p.Tanh(b) })
		p.Release(b)
		d := chain(p, func() *Var { return p.Sigmoid(c) })
		p.Release(c)
		e := chain(p, func() *Var { return p.Add(a, d) }) // a, read again
		p.Release(a)
		p.Release(d)
		f := chain(p, func() *Var { return p.Flatten(e) }) // a view: e's buffer
		p.Release(e)
		return chain(p, func() *Var { return p.ReLU(p.Rescale(f, -2, 0.5)) })
	}
	run := func(p *Plan) ([]float32, int64) {
		x := p.Input(3, 4, 5)
		x.Value.FillUniform(tensor.NewRNG(2), -2, 2)
		y := build(p, x)
		p.Forward(false)
		return y.Value.Data(), p.Bytes()
	}
	want, trainBytes := run(NewPlan(6))
	got, bytes := run(NewInferencePlan(6))
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %v in the inference plan, %v in the training plan", i, got[i], want[i])
		}
	}
	value := int64(4 * 6 * 3 * 4 * 5)
	// The input, a (held to the end), and the two buffers the others take
	// turns in: at most three besides the input, as both d and e must
	// live beside a.
	if bytes > 4*value {
		t.Errorf("the inference plan holds %d bytes of values, want at most %d (4 values of %d)", bytes, 4*value, value)
	}
	if trainBytes < 9*value {
		t.Errorf("the training plan holds %d bytes, want at least the input and 8 outputs with gradients", trainBytes)
	}
}

// TestSoftmaxKeepsItsLogits: a cross-entropy fused with a softmax reads
// the logits behind it after the builder has let them go, so another op's
// output must not take their buffer.
func TestSoftmaxKeepsItsLogits(t *testing.T) {
	poisonPool = true
	defer func() { poisonPool = false }()
	run := func(p *Plan) float64 {
		rng := tensor.NewRNG(8)
		x, w := p.Input(5), param(p, rng, "w", 5, 4)
		x.Value.FillUniform(rng, -1, 1)
		y := chain(p, func() *Var { return p.Softmax(p.MatMul(x, w)) }) // logits: an intermediate
		other := chain(p, func() *Var { return p.Tanh(p.Rescale(y, 3, 1)) })
		target := p.Input(4)
		target.Value.Data()[1] = 1
		loss := p.CategoricalCrossentropy(y, target, false, 0)
		p.probe(other, rng)
		p.Forward(false)
		return loss.Loss()
	}
	want, got := run(NewPlan(1)), run(NewInferencePlan(1))
	if math.Float64bits(got) != math.Float64bits(want) {
		t.Errorf("loss %v in the inference plan, %v in the training plan", got, want)
	}
}

// TestScopeMistakesPanic: scopes closed out of order and values released
// more often than kept are programmer errors.
func TestScopeMistakesPanic(t *testing.T) {
	p := NewInferencePlan(2)
	x := p.Input(3)
	outer := p.Scope()
	inner := p.Scope()
	y := p.ReLU(x)
	expectPanic(t, "EndScope", func() { p.EndScope(outer, y) })
	p.EndScope(inner, y)
	p.EndScope(outer, y)
	p.Release(y)
	p.Release(y) // kept twice, by both scopes
	expectPanic(t, "Release", func() { p.Release(y) })
	p.Release(x) // an input: not the pool's, ignored
	tp := NewPlan(2)
	s := tp.Scope()
	z := tp.ReLU(tp.Input(3))
	tp.EndScope(s)
	tp.Release(z) // training plans pool nothing
	if tp.Bytes() != 4*(6+6+0) {
		t.Errorf("training plan Bytes = %d, want %d (input and output)", tp.Bytes(), 4*12)
	}
}

func expectPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		r := recover()
		if s, ok := r.(string); !ok || !strings.Contains(s, want) {
			t.Errorf("got panic %v, want one naming %s", r, want)
		}
	}()
	f()
}
