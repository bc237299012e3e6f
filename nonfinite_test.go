package goras

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// Non-finite inputs and targets are refused with the sample named, before
// any weight is touched.
func TestNonFiniteDataIsRefused(t *testing.T) {
	m := NewSequential(layers.Input(4), layers.Dense(3, layers.WithActivation("softmax")))
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	before := append([]float32(nil), m.Params()[0].Value.Data()...)
	ctx := context.Background()
	cases := []struct {
		name  string
		spoil func(x, y []float32)
		run   func(x, y Data) error
		want  string
	}{
		{"NaN pixel in fit", func(x, _ []float32) { x[7*4+2] = float32(math.NaN()) },
			func(x, y Data) error { _, err := m.Fit(ctx, x, y, Verbose(0)); return err }, "sample 7 of x holds NaN at position 2"},
		{"Inf in predict", func(x, _ []float32) { x[11*4] = float32(math.Inf(-1)) },
			func(x, _ Data) error { _, err := m.Predict(x, Verbose(0), BatchSize(4)); return err }, "sample 11 of x holds -Inf"},
		{"Inf in predict, Data that is not a tensor", func(x, _ []float32) { x[13*4+1] = float32(math.Inf(1)) },
			func(x, _ Data) error { _, err := m.Predict(gatherOnly{x}, Verbose(0), BatchSize(4)); return err }, "sample 13 of x holds +Inf"},
		{"NaN in evaluate", func(x, _ []float32) { x[9*4+3] = float32(math.NaN()) },
			func(x, y Data) error { _, err := m.Evaluate(x, y, Verbose(0)); return err }, "evaluate: sample 9 of x holds NaN at position 3"},
		{"Inf in train_on_batch", func(x, _ []float32) { x[6*4+1] = float32(math.Inf(1)) },
			func(x, y Data) error { _, err := m.TrainOnBatch(x, y); return err }, "train_on_batch: sample 6 of x holds +Inf at position 1"},
		{"NaN in train_on_batch, Data that is not a tensor", func(x, _ []float32) { x[2*4] = float32(math.NaN()) },
			func(x, y Data) error { _, err := m.TrainOnBatch(gatherOnly{x}, y); return err }, "train_on_batch: sample 2 of x holds NaN at position 0"},
		{"NaN in validation data", func(x, _ []float32) {},
			func(x, y Data) error {
				vx := randomTensor(5, 3, 4)
				vx.Data()[9] = float32(math.NaN())
				_, err := m.Fit(ctx, x, y, Verbose(0), ValidationData(vx, oneHotRows(3, 3, 1)))
				return err
			}, "fit (validation data): sample 2 of x holds NaN"},
		{"NaN target", func(_, y []float32) { y[5*3+1] = float32(math.NaN()) },
			func(x, y Data) error { _, err := m.Fit(ctx, x, y, Verbose(0)); return err }, "target of sample 5 holds NaN"},
		{"one-hot target of 2", func(_, y []float32) { y[3*3] = 2 },
			func(x, y Data) error { _, err := m.Evaluate(x, y, Verbose(0)); return err }, "target of sample 3 holds 2, but categorical_crossentropy reads targets as probabilities in [0, 1]"},
		{"validation split NaN", func(_, _ []float32) {},
			func(x, y Data) error {
				_, err := m.Fit(ctx, x, y, Verbose(0), ValidationSplit(math.NaN()))
				return err
			}, "validation_split must be in [0, 1), got NaN"},
	}
	for _, c := range cases {
		x, y := randomTensor(1, 16, 4), oneHotRows(16, 3, 2)
		c.spoil(x.Data(), y.Data())
		err := c.run(x, y)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	for i, v := range m.Params()[0].Value.Data() {
		if v != before[i] {
			t.Fatalf("a refused call changed weight %d", i)
		}
	}
	x := randomTensor(1, 2, 4)
	x.Data()[5] = float32(math.Inf(1))
	if _, err := m.PredictOnBatch(x); err == nil || !strings.Contains(err.Error(), "sample 1 of x holds +Inf at position 1") {
		t.Errorf("PredictOnBatch of an Inf: %v", err)
	}
}

// explodingOp panics in Forward, as a buggy user op would.
type explodingOp struct{ x, y *autograd.Var }

func (o *explodingOp) Forward(bool) { panic("user op exploded") }
func (o *explodingOp) Backward()    {}

type explodingLayer struct{ layers.Layer }

func (l explodingLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	op := &explodingOp{x: x, y: p.NewVar(false, x.Shape()...)}
	p.AddOp(op)
	return op.y
}

// A panic while predicting comes back as an error naming it, and the model
// keeps serving.
func TestPredictPanicBecomesError(t *testing.T) {
	m := NewSequential(layers.Input(3), explodingLayer{layers.Dense(3)})
	_, err := m.Predict(randomTensor(1, 4, 3), Verbose(0))
	if err == nil || !strings.Contains(err.Error(), "user op exploded") {
		t.Fatalf("Predict of an op that panics: %v", err)
	}
	if _, err := m.PredictOnBatch(randomTensor(1, 4, 3)); err == nil || !strings.Contains(err.Error(), "user op exploded") {
		t.Fatalf("PredictOnBatch of an op that panics: %v", err)
	}
}

// rowsData is Data that is not a tensor: the check gathers it in chunks.
type rowsData struct{ t *tensor.Tensor }

func (r rowsData) Shape() []int                     { return r.t.Shape() }
func (r rowsData) Gather(dst []float32, rows []int) { r.t.Gather(dst, rows) }

func TestNonFiniteInOtherData(t *testing.T) {
	x := randomTensor(1, 700, 3)
	if err := checkFinite("fit", 0, rowsData{x}); err != nil {
		t.Fatalf("finite data: %v", err)
	}
	x.Data()[600*3+1] = float32(math.NaN()) // in the third chunk of 256
	if err := checkFinite("fit", 1, rowsData{x}); err == nil || !strings.Contains(err.Error(), "sample 600 of x[1] holds NaN at position 1") {
		t.Errorf("NaN in sample 600: %v", err)
	}
}

// gatherOnly hides what Data it holds: Predict then gathers it row by row
// and checks the batch after, as for any Data that is not a tensor.
type gatherOnly struct{ Data }
