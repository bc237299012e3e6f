package goras_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// regularizedMLP is the course's over-fitting cure on blobs: Dense → BN →
// Dropout → Dense(softmax).
func regularizedMLP(seed uint64) *goras.Model {
	m := goras.NewSequential(layers.Input(4, 4), layers.Flatten(),
		layers.Dense(8, layers.WithActivation("relu")),
		layers.BatchNormalization(),
		layers.Dropout(0.3),
		layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(seed)
	return m
}

func TestDropoutBNTrainStepAllocatesNothing(t *testing.T) {
	m := regularizedMLP(1)
	opt, err := optimizers.NewAdam()
	if err != nil {
		t.Fatal(err)
	}
	compile(t, m, losses.CategoricalCrossentropy{}, opt)
	x, y, _ := blobs(32, 1)
	if _, err := m.TrainOnBatch(x, y); err != nil { // builds the plan
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { m.TrainOnBatch(x, y) }); n != 0 {
		t.Errorf("a training step with Dropout and BatchNormalization allocates %v times, want 0", n)
	}
}

func TestDropoutBNLearnAndSeedFixesMasks(t *testing.T) {
	fit := func(seed uint64) *goras.History {
		x, y, _ := blobs(300, 5)
		m := regularizedMLP(seed)
		compile(t, m, losses.CategoricalCrossentropy{}, sgd(t, optimizers.LearningRate(0.1), optimizers.Momentum(0.9)))
		h, err := m.Fit(context.Background(), x, y, goras.BatchSize(16), goras.Epochs(5),
			goras.ValidationSplit(0.2), goras.Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b := fit(3), fit(3)
	for _, k := range a.Keys() {
		for i := range a.History[k] {
			if math.Float64bits(a.History[k][i]) != math.Float64bits(b.History[k][i]) {
				t.Fatalf("%s[%d]: %v vs %v with the same seed: dropout masks are not fixed by it", k, i, a.History[k][i], b.History[k][i])
			}
		}
	}
	if acc, _ := a.Last("val_accuracy"); acc < 0.95 {
		t.Errorf("val_accuracy %.3f after 5 epochs with BN and dropout, want ≥ 0.95", acc)
	}
}

// TestDropoutIsIdentityInPredict: with all-ones weights and no bias,
// Predict of Dense(2) → Dropout(0.5) is exactly Σx per unit, every time.
func TestDropoutIsIdentityInPredict(t *testing.T) {
	m := goras.NewSequential(layers.Input(3),
		layers.Dense(2, layers.WithUseBias(false), layers.WithKernelInitializer(initializers.Ones())),
		layers.Dropout(0.5))
	compile(t, m, losses.MeanSquaredError{}, sgd(t))
	x, _ := tensor.FromSlice([]float32{1, 2, 3, -1, 0.5, 0.25}, 2, 3)
	for range 3 {
		p, err := m.Predict(x, goras.Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []float32{6, 6, -0.25, -0.25} {
			if p.Data()[i] != want {
				t.Fatalf("prediction %v, want [6 6 -0.25 -0.25]", p.Data())
			}
		}
	}
	// Evaluate too: the loss against the exact outputs is 0.
	y, _ := tensor.FromSlice([]float32{6, 6, -0.25, -0.25}, 2, 2)
	logs, err := m.Evaluate(x, y, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if logs["loss"] != 0 {
		t.Errorf("evaluate loss %v, want exactly 0 (dropout off)", logs["loss"])
	}
}

// TestBatchNormInTheModel checks one training step's moving update, the
// inference path and the summary's non-trainable count.
func TestBatchNormInTheModel(t *testing.T) {
	m := goras.NewSequential(layers.Input(2), layers.BatchNormalization(layers.WithName("bn")))
	compile(t, m, losses.MeanSquaredError{}, sgd(t, optimizers.LearningRate(0.1)))

	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"│ bn (BatchNormalization)         │ (None, 2)              │             8 │",
		" Total params: 8 (32.00 B)",
		" Trainable params: 4 (16.00 B)",
		" Non-trainable params: 4 (16.00 B)",
	} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, b.String())
		}
	}

	// Channel 0 has batch mean 2 and variance 2/3, channel 1 mean -1, variance 8/3.
	x, _ := tensor.FromSlice([]float32{1, -3, 2, -1, 3, 1}, 3, 2)
	y := tensor.New(3, 2)
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	mean, variance := ps[2].Value.Data(), ps[3].Value.Data()
	for c, want := range [][2]float64{{0.01 * 2, 0.99 + 0.01*2.0/3}, {0.01 * -1, 0.99 + 0.01*8.0/3}} {
		if math.Abs(float64(mean[c])-want[0]) > 1e-7 || math.Abs(float64(variance[c])-want[1]) > 1e-6 {
			t.Errorf("channel %d after one step: moving mean %v variance %v, want %v %v", c, mean[c], variance[c], want[0], want[1])
		}
	}

	// Predict uses the moving statistics and the trained γ, β, and moves nothing.
	p, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	gamma, beta := ps[0].Value.Data(), ps[1].Value.Data()
	for i := 0; i < 3; i++ {
		for c := 0; c < 2; c++ {
			want := float64(gamma[c])*(float64(x.Data()[i*2+c])-float64(mean[c]))/math.Sqrt(float64(variance[c])+1e-3) + float64(beta[c])
			if got := float64(p.Data()[i*2+c]); math.Abs(got-want) > 1e-5 {
				t.Errorf("predict[%d,%d] = %v, want %v", i, c, got, want)
			}
		}
	}
	if m.Params()[2].Value.Data()[0] != mean[0] {
		t.Error("Predict moved the moving mean")
	}
}

// TestBinaryCrossentropyThroughFit trains a one-unit sigmoid classifier on
// labels of shape (N), and checks the first evaluated loss by hand.
func TestBinaryCrossentropyThroughFit(t *testing.T) {
	const n = 200
	rng := tensor.NewRNG(4)
	x, y := tensor.New(n, 2), tensor.New(n)
	for i := 0; i < n; i++ {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		x.Data()[2*i], x.Data()[2*i+1] = float32(a), float32(b)
		if a+b > 0 {
			y.Data()[i] = 1
		}
	}
	m := goras.NewSequential(layers.Input(2),
		layers.Dense(1, layers.WithActivation("sigmoid"), layers.WithKernelInitializer(initializers.Zeros())))
	compile(t, m, losses.BinaryCrossentropy{}, sgd(t, optimizers.LearningRate(0.5)))
	logs, err := m.Evaluate(x, y, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(logs["loss"]-math.Ln2) > 1e-6 { // every prediction is sigmoid(0) = 1/2
		t.Errorf("initial loss %v, want ln 2 = %v", logs["loss"], math.Ln2)
	}
	h, err := m.Fit(context.Background(), x, y, goras.BatchSize(20), goras.Epochs(10), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := h.Last("accuracy"); acc < 0.95 {
		t.Errorf("binary accuracy %.3f after 10 epochs, want ≥ 0.95", acc)
	}
	// A three-class target for a one-unit model is refused with a hint.
	err = losses.BinaryCrossentropy{}.CheckTarget([]int{3}, []int{1})
	if err == nil || !strings.Contains(err.Error(), "categorical_crossentropy") {
		t.Errorf("CheckTarget((3), (1)) = %v, want a hint toward categorical_crossentropy", err)
	}
	if l, err := losses.Get("binary_crossentropy"); err != nil || l.Name() != "binary_crossentropy" {
		t.Errorf(`losses.Get("binary_crossentropy") = %v, %v`, l, err)
	}
}

// TestRescalingReshapePipeline feeds 0–255 "pixels" through Rescaling and
// Reshape into a Dense layer of ones: the output is the sum of x/255.
func TestRescalingReshapePipeline(t *testing.T) {
	m := goras.NewSequential(layers.Input(6),
		layers.Rescaling(1.0/255, 0), layers.Reshape(2, 3, 1), layers.Flatten(),
		layers.Dense(1, layers.WithKernelInitializer(initializers.Ones())))
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if got := m.OutputShape(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("output shape %v", got)
	}
	x, _ := tensor.FromSlice([]float32{0, 51, 102, 153, 204, 255}, 1, 6)
	p, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Data()[0]; math.Abs(float64(got)-3) > 1e-6 {
		t.Errorf("sum of x/255 = %v, want 3", got)
	}
	var b strings.Builder
	m.Summary(&b)
	if !strings.Contains(b.String(), "│ reshape (Reshape)               │ (None, 2, 3, 1)") {
		t.Errorf("summary:\n%s", b.String())
	}
}
