package goras_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// weightsFor gives sample i the weight ws[i%len(ws)].
func weightsFor(n int, ws ...float32) []float32 {
	w := make([]float32, n)
	for i := range w {
		w[i] = ws[i%len(ws)]
	}
	return w
}

// Keras's weighted loss is Σ wᵢ·lᵢ / N over every sample, whatever the
// batches: checked against the cross-entropy of Predict's probabilities.
func TestSampleWeightedLossIsKerasReduction(t *testing.T) {
	x, y, ys := blobs(50, 2)
	m := smallMLP(3)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t))
	w := weightsFor(50, 0, 0.5, 2, 1, 3)
	probs, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	var want, plain float64
	for i := range 50 {
		p := float64(probs.Data()[i*3+int(ys.Data()[i])])
		want += float64(w[i]) * -math.Log(p)
		plain += -math.Log(p)
	}
	want, plain = want/50, plain/50
	for _, batch := range []int{50, 7} {
		got, err := m.Evaluate(x, y, goras.SampleWeight(w), goras.BatchSize(batch), goras.Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got["loss"]-want) > 1e-5*want {
			t.Errorf("batch %d: weighted loss %.7f, want Σwᵢlᵢ/N = %.7f", batch, got["loss"], want)
		}
		if math.Abs(got["accuracy"]-1) > 1 || got["accuracy"] < 0 {
			t.Errorf("accuracy %v", got["accuracy"])
		}
	}
	got, _ := m.Evaluate(x, y, goras.Verbose(0))
	if math.Abs(got["loss"]-plain) > 1e-5*plain {
		t.Errorf("unweighted loss %.7f, want %.7f", got["loss"], plain)
	}
}

// A weight of 0 removes a sample from the gradient, and the rest are
// divided by the whole batch: one SGD step with weights (1, 0, 1, 0, ...)
// over N samples equals a step on the kept k samples with the learning
// rate scaled by k/N.
func TestSampleWeightScalesEachSamplesGradient(t *testing.T) {
	x, y, _ := blobs(24, 4)
	w := weightsFor(24, 1, 0)
	weighted := smallMLP(9)
	compile(t, weighted, losses.CategoricalCrossentropy{}, sgd(t, optimizers.LearningRate(0.5)))
	if _, err := weighted.Fit(context.Background(), x, y, goras.BatchSize(24), goras.Shuffle(false),
		goras.SampleWeight(w), goras.Verbose(0)); err != nil {
		t.Fatal(err)
	}
	kx, ky := tensor.New(12, 4, 4), tensor.New(12, 3)
	rows := []int{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22}
	x.Gather(kx.Data(), rows)
	y.Gather(ky.Data(), rows)
	kept := smallMLP(9)
	compile(t, kept, losses.CategoricalCrossentropy{}, sgd(t, optimizers.LearningRate(0.5*12.0/24)))
	if _, err := kept.Fit(context.Background(), kx, ky, goras.BatchSize(12), goras.Shuffle(false), goras.Verbose(0)); err != nil {
		t.Fatal(err)
	}
	a, b, start := weightsOf(t, weighted), weightsOf(t, kept), weightsOf(t, smallMLP(9))
	moved := false
	for i := range a {
		for j, v := range a[i].Data() {
			if d := math.Abs(float64(v - b[i].Data()[j])); d > 1e-6 {
				t.Fatalf("weight %d[%d]: %g with sample weights, %g on the kept samples", i, j, v, b[i].Data()[j])
			}
			moved = moved || v != start[i].Data()[j]
		}
	}
	if !moved {
		t.Fatal("the step changed no weight")
	}
}

func weightsOf(t *testing.T, m *goras.Model) []*tensor.Tensor {
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	w, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// class_weight is the sample weight of each sample's class: training with
// it is bit-identical to training with those weights, for one-hot and
// sparse targets alike; classes missing from the map weigh 1.
func TestClassWeightIsTheWeightOfEachSamplesClass(t *testing.T) {
	x, y, ys := blobs(60, 6)
	cw := map[int]float64{0: 0.5, 2: 4}
	w := make([]float32, 60)
	for i := range w {
		w[i] = map[int]float32{0: 0.5, 1: 1, 2: 4}[int(ys.Data()[i])]
	}
	cases := []struct {
		name string
		loss losses.Loss
		y    *tensor.Tensor
	}{
		{"one-hot", losses.CategoricalCrossentropy{}, y},
		{"sparse", losses.SparseCategoricalCrossentropy{}, ys},
	}
	for _, c := range cases {
		fit := func(opt goras.Option) *goras.History {
			m := smallMLP(2)
			compile(t, m, c.loss, sgd(t, optimizers.LearningRate(0.1)))
			h, err := m.Fit(context.Background(), x, c.y, goras.BatchSize(8), goras.Epochs(2), opt, goras.Verbose(0))
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		byClass, bySample, plain := fit(goras.ClassWeight(cw)), fit(goras.SampleWeight(w)), fit(nil)
		a, b, p := byClass.History["loss"], bySample.History["loss"], plain.History["loss"]
		if a[0] != b[0] || a[1] != b[1] {
			t.Errorf("%s: class_weight losses %v, sample weights %v: want them identical", c.name, a, b)
		}
		if a[0] == p[0] {
			t.Errorf("%s: class_weight changed nothing (%v)", c.name, a)
		}
	}
}

// With ValidationSplit, the held-out samples keep their sample weights, so
// val_loss is the weighted loss of the tail; class_weight leaves validation
// unweighted, as in Keras.
func TestValidationKeepsSampleWeights(t *testing.T) {
	x, y, _ := blobs(40, 3)
	w := weightsFor(40, 1, 3, 0.25)
	m := smallMLP(1)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t))
	h, err := m.Fit(context.Background(), x, y, goras.BatchSize(8), goras.ValidationSplit(0.25),
		goras.SampleWeight(w), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Evaluate(x.Slice(30, 40), y.Slice(30, 40), goras.SampleWeight(w[30:]), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := h.Last("val_loss"); v != got["loss"] {
		t.Errorf("val_loss %v, but the tail with its weights gives %v", v, got["loss"])
	}
	h, err = m.Fit(context.Background(), x, y, goras.BatchSize(8), goras.ValidationSplit(0.25),
		goras.ClassWeight(map[int]float64{1: 9}), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got, _ = m.Evaluate(x.Slice(30, 40), y.Slice(30, 40), goras.Verbose(0))
	if v, _ := h.Last("val_loss"); v != got["loss"] {
		t.Errorf("with class_weight, val_loss %v, but the unweighted tail gives %v", v, got["loss"])
	}
}

// plainLoss is a user's loss whose op cannot say each sample's loss: the
// mean of the prediction's values.
type plainLoss struct{ losses.MeanSquaredError }

func (plainLoss) Name() string { return "plain" }

func (plainLoss) Build(p *autograd.Plan, pred, _ *autograd.Var) autograd.LossOp {
	op := &meanOp{pred: pred}
	p.AddOp(op)
	return op
}

type meanOp struct {
	pred *autograd.Var
	loss float64
}

func (o *meanOp) Forward(bool) {
	o.loss = 0
	for _, v := range o.pred.Value.Data() {
		o.loss += float64(v) / float64(o.pred.Value.Len())
	}
}

func (o *meanOp) Backward() {
	for i := range o.pred.Grad.Data() {
		o.pred.Grad.Data()[i] += 1 / float32(o.pred.Value.Len())
	}
}

func (o *meanOp) Loss() float64 { return o.loss }

func TestSampleWeightMistakes(t *testing.T) {
	x, y, _ := blobs(10, 1)
	m := smallMLP(1)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t))
	in := goras.Input(4, 4)
	f := goras.Call(layers.Flatten(), in)
	two, err := goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{
		goras.Call(layers.Dense(3, layers.WithActivation("softmax")), f), goras.Call(layers.Dense(3, layers.WithActivation("softmax")), f)})
	if err != nil {
		t.Fatal(err)
	}
	if err := two.Compile(goras.CompileOptions{Optimizer: sgd(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	custom := smallMLP(1)
	compile(t, custom, plainLoss{}, sgd(t))
	fit := func(m *goras.Model, y goras.Data, opts ...goras.Option) error {
		_, err := m.Fit(context.Background(), x, y, append(opts, goras.Verbose(0))...)
		return err
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"length", fit(m, y, goras.SampleWeight(make([]float32, 9))), "sample_weight has 9 weights but x has 10 samples"},
		{"negative", fit(m, y, goras.SampleWeight(weightsFor(10, 1, -1))), "sample_weight[1] is -1"},
		{"NaN", fit(m, y, goras.SampleWeight(weightsFor(10, float32(math.NaN())))), "sample_weight[0] is NaN"},
		{"both", fit(m, y, goras.SampleWeight(weightsFor(10, 1)), goras.ClassWeight(map[int]float64{0: 2})), "not both"},
		{"class out of range", fit(m, y, goras.ClassWeight(map[int]float64{3: 2})), "class_weight {3: 2}: classes run 0..2"},
		{"two outputs", fit(two, goras.Arrays{y, y}, goras.ClassWeight(map[int]float64{0: 2})), "one output, this one has 2"},
		{"custom loss", fit(custom, y, goras.SampleWeight(weightsFor(10, 1))), `loss "plain" cannot weigh samples`},
		{"predict", func() error { _, err := m.Predict(x, goras.SampleWeight(weightsFor(10, 1))); return err }(), "predict does not take sample_weight"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to say %q", c.name, c.err, c.want)
		}
	}
}
