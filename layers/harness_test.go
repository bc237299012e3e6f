package layers

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// This file is the per-layer test harness shared by every layer: add a
// layerCase for a layer to a table in its own test file and call
// checkLayers(t, cases). For each case it checks
//
//   - Build succeeds and returns the expected output shape, and Call's output
//     has that shape with the batch axis in front;
//   - the number of weights, and that every weight's gradient is registered;
//   - Config: the exact set of Keras keys, the name, and that it encodes to JSON;
//   - a training step through a Plan (forward, backward with a mean squared
//     error loss) that allocates nothing once built, gives finite gradients,
//     and lowers the loss when the weights (or, for a layer without weights,
//     the input) take a small step against the gradient;
//   - every gradient (input and weights) against central finite differences
//     of the forward pass, accumulated in float64.
//
// Keep the input tiny (a few hundred values): the gradient check runs two
// forward passes per value.

// layerCase is one configuration of a layer for checkLayers.
type layerCase struct {
	name  string
	layer func() Layer // a fresh, unbuilt layer
	input []int        // per-sample input shape

	output []int    // per-sample output shape Build must return; nil: not checked
	params int      // total number of weights
	keys   []string // the exact Config keys; nil: only "name" is required
	// stochastic marks a layer whose training forward draws random numbers
	// (Dropout): its gradients are checked in inference mode instead.
	stochastic bool
}

const harnessBatch = 2

func checkLayers(t *testing.T, cases []layerCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkLayer(t, c) })
	}
}

func checkLayer(t *testing.T, c layerCase) {
	l := c.layer()
	if l.Name() == "" {
		l.SetName("under_test")
	}
	out, err := l.Build(c.input, tensor.NewRNG(1))
	if err != nil {
		t.Fatalf("Build(%v): %v", c.input, err)
	}
	if c.output != nil && !tensor.SameShape(out, c.output) {
		t.Errorf("Build(%v) output shape %v, want %v", c.input, out, c.output)
	}

	n := 0
	for _, w := range l.Params() {
		n += w.Value.Len()
	}
	if n != c.params {
		t.Errorf("%d weights, want %d", n, c.params)
	}

	cfg := l.Config()
	if cfg["name"] != l.Name() {
		t.Errorf("Config name %v, want %q", cfg["name"], l.Name())
	}
	if c.keys != nil {
		got := make([]string, 0, len(cfg))
		for k := range cfg {
			got = append(got, k)
		}
		want := slices.Clone(c.keys)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Config keys %v, want %v", got, want)
		}
	}
	if _, err := json.Marshal(cfg); err != nil {
		t.Errorf("Config does not encode to JSON: %v", err)
	}

	// The plan: x (with a gradient, which we zero ourselves) → layer → MSE.
	rng := tensor.NewRNG(2)
	p := autograd.NewPlan(harnessBatch)
	shape := append([]int{harnessBatch}, c.input...)
	x := &autograd.Var{Value: tensor.New(shape...), Grad: tensor.New(shape...)}
	ladder(x.Value.Data(), rng.Perm(x.Value.Len()))
	y := l.Call(p, x)
	if want := append([]int{harnessBatch}, out...); !tensor.SameShape(y.Shape(), want) {
		t.Fatalf("Call output shape %v, want %v (Build said %v)", y.Shape(), want, out)
	}
	target := &autograd.Var{Value: tensor.New(y.Shape()...)}
	target.Value.FillNormal(rng, 0, 1)
	loss := p.MeanSquaredError(y, target)
	forward := func(training bool) float64 { p.Forward(training); return loss.Loss() }
	step := func() { x.Grad.Zero(); p.Forward(true); p.Backward() }

	step()
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Errorf("a training step allocates %v times", a)
	}
	vars := []*autograd.Var{x}
	for _, w := range l.Params() {
		if !w.Trainable {
			continue
		}
		if w.Grad == nil {
			t.Fatalf("trainable weight %s has no gradient", w.Name)
		}
		vars = append(vars, &w.Var)
	}
	for _, v := range vars {
		for i, g := range v.Grad.Data() {
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				t.Fatalf("gradient %d of %v is %v", i, v.Shape(), g)
			}
		}
	}

	// One small step against the gradient must lower the loss: by about 1 %,
	// to first order. Weights if there are any, else the input.
	moved := vars[1:]
	if len(moved) == 0 {
		moved = vars[:1]
	}
	if !c.stochastic {
		before := forward(true)
		var norm float64
		for _, v := range moved {
			for _, g := range v.Grad.Data() {
				norm += float64(g) * float64(g)
			}
		}
		if norm == 0 {
			t.Fatalf("every gradient is zero")
		}
		eta := float32(0.01 * before / norm)
		saved := make([][]float32, len(moved))
		for i, v := range moved {
			saved[i] = slices.Clone(v.Value.Data())
			for j, g := range v.Grad.Data() {
				v.Value.Data()[j] -= eta * g
			}
		}
		if after := forward(true); !(after < before) {
			t.Errorf("a gradient step took the loss from %v to %v", before, after)
		}
		for i, v := range moved {
			copy(v.Value.Data(), saved[i])
		}
	}

	// Finite differences.
	training := !c.stochastic
	x.Grad.Zero()
	p.Forward(training)
	p.Backward()
	const h = 1e-2
	for vi, v := range vars {
		analytic := slices.Clone(v.Grad.Data())
		val := v.Value.Data()
		for i := range val {
			orig := val[i]
			val[i] = orig + h
			up := forward(training)
			val[i] = orig - h
			down := forward(training)
			val[i] = orig
			numeric := (up - down) / (2 * h)
			if diff := math.Abs(numeric - float64(analytic[i])); diff > 2e-3+2e-2*math.Abs(numeric) {
				t.Errorf("gradient of %s element %d: analytic %.6f, numeric %.6f", varName(vi, l), i, analytic[i], numeric)
			}
		}
	}
}

// ladder fills x with distinct values 0.05 apart, centred on 0, in the
// order perm: no two inputs of a max window are close enough for a finite
// difference to swap them.
func ladder(x []float32, perm []int) {
	for i, j := range perm {
		x[i] = 0.05 * float32(j-len(x)/2)
	}
}

func varName(i int, l Layer) string {
	if i == 0 {
		return "the input"
	}
	var trainable []*autograd.Param
	for _, w := range l.Params() {
		if w.Trainable {
			trainable = append(trainable, w)
		}
	}
	return trainable[i-1].Name
}

var denseKeys = []string{"name", "units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
	"kernel_constraint", "bias_constraint"}

func TestLayerHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "Dense", layer: func() Layer { return Dense(3, WithActivation("tanh")) }, input: []int{4}, output: []int{3}, params: 15, keys: denseKeys},
		{name: "Dense/no-bias", layer: func() Layer { return Dense(2, WithUseBias(false)) }, input: []int{5}, output: []int{2}, params: 10, keys: denseKeys},
		{name: "Flatten", layer: func() Layer { return Flatten() }, input: []int{2, 3, 2}, output: []int{12}, keys: []string{"name", "data_format"}},
		{name: "Activation", layer: func() Layer { return Activation("sigmoid") }, input: []int{5}, output: []int{5}, keys: []string{"name", "activation"}},
	})
}
