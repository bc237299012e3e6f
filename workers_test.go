package goras_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// TestSameWeightsOnOneOrTwoWorkers trains the course MLP for an epoch (with
// shuffling, in batches of 100 that the training plan splits across cores)
// on one worker and on two: the weights must be the same bit for bit, for
// SGD with MSE and for Adam with sparse cross-entropy.
func TestSameWeightsOnOneOrTwoWorkers(t *testing.T) {
	defer kernel.SetWorkers(0)
	rng := tensor.NewRNG(7)
	x := tensor.New(400, 28, 28)
	x.FillUniform(rng, 0, 1)
	labels, onehot := tensor.New(400), tensor.New(400, 10)
	for i := 0; i < 400; i++ {
		labels.Data()[i] = float32(i % 10)
		onehot.Data()[i*10+i%10] = 1
	}
	for _, c := range []struct {
		name string
		loss losses.Loss
		y    *tensor.Tensor
		opt  func() optimizers.Optimizer
	}{
		{"sgd+mse", losses.MeanSquaredError{}, onehot, func() optimizers.Optimizer { return sgd(t, optimizers.LearningRate(0.1)) }},
		{"adam+sparse", losses.SparseCategoricalCrossentropy{}, labels, func() optimizers.Optimizer {
			o, err := optimizers.NewAdam()
			if err != nil {
				t.Fatal(err)
			}
			return o
		}},
	} {
		var weights [][]float32
		for _, workers := range []int{1, 2} {
			kernel.SetWorkers(workers)
			m := courseMLP()
			m.SetSeed(3)
			compile(t, m, c.loss, c.opt())
			if _, err := m.Fit(context.Background(), x, c.y, goras.BatchSize(100), goras.Verbose(0)); err != nil {
				t.Fatal(err)
			}
			var w []float32
			for _, p := range m.Params() {
				w = append(w, p.Value.Data()...)
			}
			weights = append(weights, w)
		}
		for i := range weights[0] {
			if math.Float32bits(weights[0][i]) != math.Float32bits(weights[1][i]) {
				t.Fatalf("%s: weight %d is %v with 1 worker, %v with 2", c.name, i, weights[0][i], weights[1][i])
			}
		}
	}
}

// TestPredictOnBatch checks PredictOnBatch against Predict, and that once
// its plan exists it allocates nothing but its result, as a server calling
// it per request needs.
func TestPredictOnBatch(t *testing.T) {
	m := courseMLP()
	x := tensor.New(3, 28, 28)
	x.FillUniform(tensor.NewRNG(2), 0, 1)
	want, err := m.Predict(x, goras.BatchSize(2), goras.Verbose(0)) // batches of 2 and 1
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.PredictOnBatch(x)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(got.Shape(), []int{3, 10}) {
		t.Fatalf("shape %v, want (3, 10)", got.Shape())
	}
	for i, v := range got.Data() {
		if math.Abs(float64(v-want.Data()[i])) > 1e-6 {
			t.Fatalf("output %d: %v, Predict gives %v", i, v, want.Data()[i])
		}
	}
	one := x.Slice(0, 1)
	result := testing.AllocsPerRun(10, func() { tensor.New(append([]int{1}, 10)...) })
	if n := testing.AllocsPerRun(50, func() { m.PredictOnBatch(one) }); n > result {
		t.Errorf("PredictOnBatch of one sample allocates %v times; the result alone takes %v", n, result)
	}
	if _, err := m.PredictOnBatch(tensor.New(2, 784)); err == nil || !strings.Contains(err.Error(), "predict_on_batch") {
		t.Errorf("wrong shape: %v", err)
	}
}

// TestSparseInputStepAllocatesNothing trains the course MLP on images that
// are 80 % zeros, as MNIST's are, where the first layer's products skip the
// zeros: after the first step, a step allocates nothing.
func TestSparseInputStepAllocatesNothing(t *testing.T) {
	m := courseMLP()
	compile(t, m, losses.MeanSquaredError{}, sgd(t, optimizers.LearningRate(0.1)))
	x, y := tensor.New(100, 28, 28), tensor.New(100, 10)
	rng := tensor.NewRNG(4)
	x.FillUniform(rng, 0, 1)
	for i := range x.Data() {
		if i%5 != 0 {
			x.Data()[i] = 0
		}
	}
	for i := 0; i < 100; i++ {
		y.Data()[i*10+i%10] = 1
	}
	first, err := m.TrainOnBatch(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { m.TrainOnBatch(x, y) }); n != 0 {
		t.Errorf("a training step allocates %v times, want 0", n)
	}
	if last, _ := m.TrainOnBatch(x, y); !(last < first) {
		t.Errorf("loss went from %v to %v in 22 steps on one batch", first, last)
	}
}
