package goras

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// Constraints hold after every update, as Keras applies them: a NonNeg
// kernel has no negative weight and each column of a MaxNorm(0.5) kernel
// has a norm of at most 0.5, while the unconstrained weights go where the
// gradient takes them.
func TestConstraintsHoldAfterTraining(t *testing.T) {
	m := NewSequential(layers.Input(6),
		layers.Dense(5, layers.WithActivation("tanh"), layers.WithKernelConstraint(constraints.NonNeg())),
		layers.Dense(3, layers.WithActivation("softmax"), layers.WithKernelConstraint(constraints.MaxNorm(0.5))))
	m.SetSeed(2)
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	x, y := randomTensor(3, 64, 6), oneHotRows(64, 3, 4)
	if _, err := m.Fit(context.Background(), x, y, Epochs(5), BatchSize(8), Verbose(0)); err != nil {
		t.Fatal(err)
	}
	k1, b1, k2 := m.Params()[0].Value.Data(), m.Params()[1].Value.Data(), m.Params()[2].Value.Data()
	for i, v := range k1 {
		if v < 0 {
			t.Fatalf("NonNeg kernel weight %d is %g", i, v)
		}
	}
	negBias := false
	for _, v := range b1 {
		negBias = negBias || v < 0
	}
	if !negBias {
		t.Error("no bias went negative: the test cannot tell a constraint applied to every weight")
	}
	for j := range 3 { // kernel (5, 3): the norm over axis 0 of each column
		var n float64
		for i := range 5 {
			n += float64(k2[i*3+j]) * float64(k2[i*3+j])
		}
		if math.Sqrt(n) > 0.5+1e-6 {
			t.Errorf("MaxNorm(0.5) column %d has norm %g", j, math.Sqrt(n))
		}
	}
}

// With use_ema, Fit ends as Keras's does: the moving average of the
// weights becomes the weights (finalize_variable_values), the same as the
// optimizer's own finalization after the same steps.
func TestFitFinalizesEMA(t *testing.T) {
	build := func() *Model {
		m := NewSequential(layers.Input(6), layers.Dense(3, layers.WithActivation("softmax")))
		m.SetSeed(5)
		opt, err := optimizers.NewSGD(optimizers.LearningRate(0.5), optimizers.UseEMA(true), optimizers.EMAMomentum(0.5))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(CompileOptions{Optimizer: opt, Loss: losses.CategoricalCrossentropy{}}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	x, y := randomTensor(1, 16, 6), oneHotRows(16, 3, 2)
	fitted := build()
	if _, err := fitted.Fit(context.Background(), x, y, Epochs(1), BatchSize(4), Shuffle(false), Verbose(0)); err != nil {
		t.Fatal(err)
	}
	stepped := build()
	for lo := 0; lo < 16; lo += 4 {
		if _, err := stepped.TrainOnBatch(x.Slice(lo, lo+4), y.Slice(lo, lo+4)); err != nil {
			t.Fatal(err)
		}
	}
	last := append([]float32(nil), stepped.Params()[0].Value.Data()...)
	stepped.compiled.optimizer.(optimizers.Finalizer).FinalizeVariableValues(stepped.compiled.vars)
	if got, want := fitted.Params()[0].Value.Data(), stepped.Params()[0].Value.Data(); !slices.Equal(got, want) {
		t.Errorf("Fit's weights %v, the finalized EMA %v", got[:3], want[:3])
	}
	if slices.Equal(last, stepped.Params()[0].Value.Data()) {
		t.Error("finalizing changed nothing: the test cannot tell")
	}
}

// A batch size of math.MaxInt ("all at once") is one batch of every
// sample: counting the steps as (n+batch-1)/batch overflowed to 0 steps,
// so that Predict returned zeros, Evaluate a loss of 0 and Fit trained on
// nothing, with no error.
func TestBatchSizeNearMaxInt(t *testing.T) {
	m := NewSequential(layers.Input(4), layers.Dense(3, layers.WithActivation("softmax")))
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	x, y := randomTensor(1, 10, 4), oneHotRows(10, 3, 2)
	want, err := m.Predict(x, Verbose(0), BatchSize(10))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Predict(x, Verbose(0), BatchSize(math.MaxInt))
	if err != nil || !slices.Equal(got.Data(), want.Data()) {
		t.Errorf("Predict at BatchSize(math.MaxInt): %v, %v; at BatchSize(10) %v", got.Data(), err, want.Data())
	}
	wantLogs, err := m.Evaluate(x, y, Verbose(0), BatchSize(10))
	if err != nil {
		t.Fatal(err)
	}
	logs, err := m.Evaluate(x, y, Verbose(0), BatchSize(math.MaxInt))
	if err != nil || logs["loss"] != wantLogs["loss"] {
		t.Errorf("Evaluate at BatchSize(math.MaxInt): %v, %v; at BatchSize(10) %v", logs, err, wantLogs)
	}
	h, err := m.Fit(context.Background(), x, y, Verbose(0), BatchSize(math.MaxInt))
	if err != nil || h.Params["steps"] != 1 {
		t.Errorf("Fit at BatchSize(math.MaxInt): %v steps, %v; want 1 step", h.Params["steps"], err)
	}
}
