package goras

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// randomTensor fills a tensor of shape with N(0, 1) values from seed.
func randomTensor(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range t.Data() {
		t.Data()[i] = float32(r.NormFloat64())
	}
	return t
}

func oneHotRows(n, k int, seed uint64) *tensor.Tensor {
	t := tensor.New(n, k)
	r := rand.New(rand.NewPCG(seed, 9))
	for i := range n {
		t.Data()[i*k+r.IntN(k)] = 1
	}
	return t
}

func sgdOpt(t testing.TB) optimizers.Optimizer {
	t.Helper()
	o, err := optimizers.Get("sgd")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// trainingLoss plans a training step of m on the n samples x, y and runs
// it forward and backward once, leaving the gradients in the weights; loss
// runs the plan forward again and returns the loss, for finite differences.
func trainingLoss(t *testing.T, m *Model, x, y Data, n int) (loss func() float64) {
	t.Helper()
	var d dataSet
	if err := m.checkData("test", x, y, &d); err != nil {
		t.Fatal(err)
	}
	bp, err := m.plan(n, true, &d)
	if err != nil {
		t.Fatal(err)
	}
	bp.gather(&d, bp.rowsFrom(0))
	loss = func() float64 {
		bp.plan.Forward(true)
		return bp.loss(m.compiled.weights)
	}
	loss()
	bp.plan.Backward()
	return loss
}

// centralDiff is (loss(w[i]+h) - loss(w[i]-h)) / 2h, w[i] left as it was.
func centralDiff(loss func() float64, w []float32, i int, h float32) float64 {
	orig := w[i]
	w[i] = orig + h
	up := loss()
	w[i] = orig - h
	down := loss()
	w[i] = orig
	return (up - down) / (2 * float64(h))
}

// residualModel is x → d1 → relu → (+ x) → shared d2 twice → add → heads:
// a skip connection, a layer called twice, and two outputs.
func residualModel(t testing.TB) *Model {
	t.Helper()
	in := Input(4)
	h := Call(layers.Dense(4, layers.WithActivation("tanh")), in)
	h = Call(layers.Add(), h, in)
	shared := layers.Dense(4, layers.WithActivation("tanh"), layers.WithName("shared"))
	a := Call(shared, h)
	b := Call(shared, a)
	c := Call(layers.Concatenate(), a, b)
	out1 := Call(layers.Dense(3, layers.WithActivation("softmax")), c)
	out2 := Call(layers.Dense(1), b)
	m, err := NewModel([]*KerasTensor{in}, []*KerasTensor{out1, out2})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSeed(3)
	return m
}

// The gradient of every weight of a graph (skip connection, a shared layer
// called twice, two weighted losses) against central differences of the
// model's own total loss.
func TestGraphGradientsMatchFiniteDifferences(t *testing.T) {
	m := residualModel(t)
	err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}}, LossWeights: []float64{0.7, 2.5}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	x, y1, y2 := randomTensor(1, n, 4), oneHotRows(n, 3, 2), randomTensor(3, n, 1)
	loss := trainingLoss(t, m, Arrays{x}, Arrays{y1, y2}, n)
	grads := map[string][]float32{}
	for _, p := range m.trainable() {
		grads[p.Name] = slices.Clone(p.Grad.Data())
	}
	if len(grads) != 8 { // 4 Dense layers, shared counted once
		t.Fatalf("%d trainable weights, want 8 (the shared layer's once): %v", len(grads), m.params)
	}
	const h = 1e-2
	for _, p := range m.trainable() {
		w := p.Value.Data()
		for i := range w {
			num, got := centralDiff(loss, w, i, h), float64(grads[p.Name][i])
			if math.Abs(num-got) > 2e-3+2e-2*math.Abs(num) {
				t.Errorf("d loss / d %s[%d] = %.6f, finite differences say %.6f", p.Name, i, got, num)
			}
		}
	}
}

// The per-output losses Keras logs are unweighted, and the total is their
// weighted sum; History keys are named after the output layers.
func TestMultiOutputLogsAndWeights(t *testing.T) {
	m := residualModel(t)
	err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}},
		LossWeights: []float64{0.5, 2}, Metrics: []string{"accuracy"}, OutputMetrics: [][]string{nil, {"no_such_metric"}}})
	if err == nil || !strings.Contains(err.Error(), "no_such_metric") {
		t.Fatalf("an unknown metric: %v", err)
	}
	err = m.Compile(CompileOptions{Optimizer: sgdOpt(t), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}},
		LossWeights: []float64{0.5, 2}, OutputMetrics: [][]string{{"accuracy"}, nil}})
	if err != nil {
		t.Fatal(err)
	}
	x, y1, y2 := randomTensor(1, 40, 4), oneHotRows(40, 3, 2), randomTensor(3, 40, 1)
	h, err := m.Fit(context.Background(), x, Arrays{y1, y2}, BatchSize(8), Epochs(2), Verbose(0), ValidationSplit(0.25))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dense_1_accuracy", "dense_1_loss", "dense_2_loss", "loss", "val_dense_1_accuracy", "val_dense_1_loss", "val_dense_2_loss", "val_loss"}
	if got := h.Keys(); !slices.Equal(got, want) {
		t.Fatalf("History keys %v, want %v", got, want)
	}
	logs, err := m.Evaluate(x, Arrays{y1, y2}, Verbose(0), BatchSize(40))
	if err != nil {
		t.Fatal(err)
	}
	total := 0.5*logs["dense_1_loss"] + 2*logs["dense_2_loss"]
	if math.Abs(logs["loss"]-total) > 1e-6*total {
		t.Errorf("loss %g, want 0.5·%g + 2·%g = %g", logs["loss"], logs["dense_1_loss"], logs["dense_2_loss"], total)
	}
	outs, err := m.PredictOutputs(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	var mse float64
	for i, v := range outs[1].Data() {
		d := float64(v) - float64(y2.Data()[i])
		mse += d * d / 40
	}
	if math.Abs(mse-logs["dense_2_loss"]) > 1e-5 {
		t.Errorf("dense_2_loss %g, but the predictions give mse %g", logs["dense_2_loss"], mse)
	}
	if _, err := m.Predict(x, Verbose(0)); err == nil || !strings.Contains(err.Error(), "PredictOutputs") {
		t.Errorf("Predict on a two-output model: %v, want advice to use PredictOutputs", err)
	}
}

// A Sequential model and the same chain built with the functional API are
// one engine: same seed, same weights, the same History bit for bit.
func TestSequentialIsAChainGraph(t *testing.T) {
	seq := NewSequential(layers.Input(6), layers.Dense(5, layers.WithActivation("relu")), layers.Dense(3, layers.WithActivation("softmax")))
	seq.SetSeed(9)
	in := Input(6)
	h := Call(layers.Dense(5, layers.WithActivation("relu")), in)
	fn, err := NewModel([]*KerasTensor{in}, []*KerasTensor{Call(layers.Dense(3, layers.WithActivation("softmax")), h)})
	if err != nil {
		t.Fatal(err)
	}
	fn.SetSeed(9)
	x, y := randomTensor(4, 30, 6), oneHotRows(30, 3, 5)
	var hs []*History
	for _, m := range []*Model{seq, fn} {
		if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
			t.Fatal(err)
		}
		h, err := m.Fit(context.Background(), x, y, BatchSize(7), Epochs(3), Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	for _, k := range hs[0].Keys() {
		if !slices.Equal(hs[0].History[k], hs[1].History[k]) {
			t.Errorf("%s: sequential %v, functional %v", k, hs[0].History[k], hs[1].History[k])
		}
	}
	for i, p := range seq.Params() {
		if !slices.Equal(p.Value.Data(), fn.Params()[i].Value.Data()) {
			t.Errorf("weight %s differs between the two models", p.Name)
		}
	}
}

func TestGraphMistakesAreReported(t *testing.T) {
	in, other := Input(4), Input(4)
	d := layers.Dense(3)
	cases := []struct {
		name string
		make func() (*Model, error)
		want string
	}{
		{"disconnected", func() (*Model, error) {
			return NewModel([]*KerasTensor{in}, []*KerasTensor{Call(layers.Add(), in, other)})
		}, "graph disconnected"},
		{"two inputs to a Dense", func() (*Model, error) {
			return NewModel([]*KerasTensor{in, other}, []*KerasTensor{Call(layers.Dense(2), in, other)})
		}, "takes one input, got 2"},
		{"shared layer, two shapes", func() (*Model, error) {
			a := Call(d, in)
			return NewModel([]*KerasTensor{in}, []*KerasTensor{Call(d, a)})
		}, "a shared layer needs inputs of one shape"},
		{"merge of two shapes", func() (*Model, error) {
			return NewModel([]*KerasTensor{in}, []*KerasTensor{Call(layers.Add(), in, Call(layers.Dense(2), in))})
		}, "(None, 2)"},
		{"no outputs", func() (*Model, error) { return NewModel([]*KerasTensor{in}, nil) }, "at least one input and one output"},
		{"nil input", func() (*Model, error) {
			return NewModel([]*KerasTensor{in}, []*KerasTensor{Call(layers.Dense(2), nil)})
		}, "a nil tensor"},
	}
	for _, c := range cases {
		_, err := c.make()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	m := residualModel(t)
	if err := m.Compile(CompileOptions{Losses: []losses.Loss{losses.MeanSquaredError{}}}); err == nil || !strings.Contains(err.Error(), "2 outputs") {
		t.Errorf("one loss for two outputs: %v", err)
	}
	if err := m.Compile(CompileOptions{Loss: losses.MeanSquaredError{}, LossWeights: []float64{1, math.NaN()}}); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN loss weight: %v", err)
	}
}

// Keras 3 prints a graph with a "Connected to" column: each layer's input
// tensors as name[call][tensor].
func TestSummaryOfAGraph(t *testing.T) {
	m := residualModel(t)
	var b bytes.Buffer
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"Connected to", "│ input_layer", "dense[0][0],", "input_layer[0][0]", "shared[0][0],", "shared[1][0]", "(None, 8)", "Total params: 72 (288.00 B)"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	// Dense 4→4 (20), shared 4→4 counted once (20), 8→3 (27), 4→1 (5).
	if got := m.CountParams(); got != 72 {
		t.Errorf("CountParams %d, want 72", got)
	}
}

// A training step of a graph (merge, shared layer, two weighted losses)
// allocates nothing once its plan exists, as a Sequential's.
func TestGraphTrainStepAllocatesNothing(t *testing.T) {
	m := residualModel(t)
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}}, LossWeights: []float64{0.5, 2}}); err != nil {
		t.Fatal(err)
	}
	// Data variables: converting an Arrays literal to Data on each call
	// would allocate its slice header.
	var x, y Data = Arrays{randomTensor(1, 8, 4)}, Arrays{oneHotRows(8, 3, 2), randomTensor(3, 8, 1)}
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { m.TrainOnBatch(x, y) }); n != 0 {
		t.Errorf("%v allocations per TrainOnBatch of a graph, want 0", n)
	}
}

// TestLongChainNamedInLinearTime: a chain of n unnamed layers of one class
// (as an ONNX file of n Relu nodes imports) is named activation,
// activation_1, … with a bounded number of allocations per layer: naming
// each by trying activation_1, activation_2, … from 1 cost n²/2 tries, and
// listing the layers searched the list for each one.
func TestLongChainNamedInLinearTime(t *testing.T) {
	const n = 3000
	in := Input(4)
	x := in
	for range n {
		x = Call(layers.Activation("relu"), x)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := NewModel([]*KerasTensor{in}, []*KerasTensor{x})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	allocs := float64(after.Mallocs - before.Mallocs)
	if allocs > 50*n {
		t.Errorf("NewModel of %d layers made %.0f allocations, %.0f a layer", n, allocs, allocs/n)
	}
	ls := m.Layers()
	if got := fmt.Sprint(ls[0].Name(), " ", ls[1].Name(), " ", ls[n-1].Name()); got != fmt.Sprintf("activation activation_1 activation_%d", n-1) {
		t.Errorf("layers named %s", got)
	}
}
