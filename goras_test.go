package goras_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// courseMLP is the course's first network: Flatten → Dense(50, relu) → Dense(10, softmax).
func courseMLP() *goras.Model {
	return goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
}

func sgd(t testing.TB, opts ...optimizers.Option) optimizers.Optimizer {
	o, err := optimizers.NewSGD(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func compile(t testing.TB, m *goras.Model, loss losses.Loss, opt optimizers.Optimizer) {
	t.Helper()
	if err := m.Compile(goras.CompileOptions{Optimizer: opt, Loss: loss, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
}

func TestSummaryOfTheCourseMLP(t *testing.T) {
	var b strings.Builder
	if err := courseMLP().Summary(&b); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`Model: "sequential"`,
		"│ flatten (Flatten)               │ (None, 784)            │             0 │",
		"│ dense (Dense)                   │ (None, 50)             │        39,250 │",
		"│ dense_1 (Dense)                 │ (None, 10)             │           510 │",
		" Total params: 39,760 (155.31 KB)",
		" Trainable params: 39,760 (155.31 KB)",
		" Non-trainable params: 0 (0.00 B)",
	}
	for _, w := range want {
		if !strings.Contains(b.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, b.String())
		}
	}
}

// blobs makes n samples of a 3-class problem that a small MLP can learn:
// class k is centred on a different corner of a 4×4 "image".
func blobs(n int, seed uint64) (x, yOneHot, ySparse *tensor.Tensor) {
	rng := tensor.NewRNG(seed)
	x, yOneHot, ySparse = tensor.New(n, 4, 4), tensor.New(n, 3), tensor.New(n)
	for i := 0; i < n; i++ {
		k := i % 3
		for j := 0; j < 16; j++ {
			v := 0.2 * rng.NormFloat64()
			if j%3 == k {
				v += 1
			}
			x.Data()[i*16+j] = float32(v)
		}
		yOneHot.Data()[i*3+k] = 1
		ySparse.Data()[i] = float32(k)
	}
	return x, yOneHot, ySparse
}

func smallMLP(seed uint64) *goras.Model {
	m := goras.NewSequential(layers.Input(4, 4), layers.Flatten(),
		layers.Dense(8, layers.WithActivation("relu")), layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(seed)
	return m
}

func fitBlobs(t *testing.T, seed uint64, loss losses.Loss, sparse bool) *goras.History {
	x, y, ys := blobs(300, 5)
	if sparse {
		y = ys
	}
	m := smallMLP(seed)
	compile(t, m, loss, sgd(t, optimizers.LearningRate(0.1), optimizers.Momentum(0.9)))
	h, err := m.Fit(context.Background(), x, y, goras.BatchSize(16), goras.Epochs(5),
		goras.ValidationSplit(0.2), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestFitLearnsWithEveryLoss(t *testing.T) {
	for _, c := range []struct {
		loss   losses.Loss
		sparse bool
	}{
		{losses.MeanSquaredError{}, false},
		{losses.CategoricalCrossentropy{}, false},
		{losses.SparseCategoricalCrossentropy{}, true},
	} {
		h := fitBlobs(t, 1, c.loss, c.sparse)
		if acc, _ := h.Last("val_accuracy"); acc < 0.95 {
			t.Errorf("%s: val_accuracy %.3f after 5 epochs, want ≥ 0.95", c.loss.Name(), acc)
		}
		if l := h.History["loss"]; l[len(l)-1] >= l[0] {
			t.Errorf("%s: loss did not fall: %v", c.loss.Name(), l)
		}
	}
}

func TestSameSeedSameHistoryBitForBit(t *testing.T) {
	a := fitBlobs(t, 7, losses.CategoricalCrossentropy{}, false)
	b := fitBlobs(t, 7, losses.CategoricalCrossentropy{}, false)
	c := fitBlobs(t, 8, losses.CategoricalCrossentropy{}, false)
	differs := false
	for _, k := range a.Keys() {
		for i := range a.History[k] {
			if math.Float64bits(a.History[k][i]) != math.Float64bits(b.History[k][i]) {
				t.Fatalf("%s[%d]: %v vs %v with the same seed", k, i, a.History[k][i], b.History[k][i])
			}
			differs = differs || a.History[k][i] != c.History[k][i]
		}
	}
	if !differs {
		t.Error("a different seed gave the same history")
	}
}

// TestSGDStepThroughTheModel checks one Fit step against Keras's SGD rule
// computed by hand for y = x·w with MSE: grad = 2/N Σ (x·w - y) x.
func TestSGDStepThroughTheModel(t *testing.T) {
	m := goras.NewSequential(layers.Input(2), layers.Dense(1, layers.WithUseBias(false)))
	compile(t, m, losses.MeanSquaredError{}, sgd(t, optimizers.LearningRate(0.1)))
	w := m.Params()[0].Value.Data()
	w[0], w[1] = 0.5, -1
	x, _ := tensor.FromSlice([]float32{1, 2, 3, -1}, 2, 2)
	y, _ := tensor.FromSlice([]float32{1, 0}, 2, 1)
	loss, err := m.TrainOnBatch(x, y)
	if err != nil {
		t.Fatal(err)
	}
	// predictions: 0.5-2 = -1.5 and 1.5+1 = 2.5; errors -2.5 and 2.5.
	// loss = (6.25+6.25)/2; grad = (2/2)(-2.5·[1,2] + 2.5·[3,-1]) = [5, -7.5].
	if loss != 6.25 {
		t.Errorf("loss %v, want 6.25", loss)
	}
	if w[0] != 0.5-0.1*5 || w[1] != -1+0.1*7.5 {
		t.Errorf("weights %v, want [0 -0.25]", w)
	}
}

func TestValidationSplitTakesTheTail(t *testing.T) {
	x, y, _ := blobs(40, 3)
	m := smallMLP(1)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t))
	h, err := m.Fit(context.Background(), x, y, goras.BatchSize(8), goras.ValidationSplit(0.25), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if h.Params["steps"] != 4 { // 30 training samples in batches of 8
		t.Errorf("steps %d, want 4", h.Params["steps"])
	}
	got, _ := m.Evaluate(x.Slice(30, 40), y.Slice(30, 40), goras.Verbose(0))
	if v, _ := h.Last("val_loss"); v != got["loss"] {
		t.Errorf("val_loss %v, but the last 10 samples give %v", v, got["loss"])
	}
}

func TestTrainStepAllocatesNothing(t *testing.T) {
	m := courseMLP()
	compile(t, m, losses.MeanSquaredError{}, sgd(t, optimizers.LearningRate(0.1), optimizers.Momentum(0.9)))
	x, y := tensor.New(100, 28, 28), tensor.New(100, 10)
	x.FillUniform(tensor.NewRNG(1), 0, 1)
	for i := 0; i < 100; i++ {
		y.Data()[i*10+i%10] = 1
	}
	if _, err := m.TrainOnBatch(x, y); err != nil { // builds the plan
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { m.TrainOnBatch(x, y) }); n != 0 {
		t.Errorf("a training step allocates %v times, want 0", n)
	}
}

func BenchmarkTrainStepMLP(b *testing.B) {
	m := courseMLP()
	compile(b, m, losses.MeanSquaredError{}, sgd(b, optimizers.LearningRate(0.1)))
	x, y := tensor.New(100, 28, 28), tensor.New(100, 10)
	x.FillUniform(tensor.NewRNG(1), 0, 1)
	m.TrainOnBatch(x, y)
	b.ReportAllocs()
	for b.Loop() {
		m.TrainOnBatch(x, y)
	}
}

func TestShapeErrorsSayWhatAndHow(t *testing.T) {
	m := courseMLP()
	compile(t, m, losses.MeanSquaredError{}, sgd(t))
	ctx := context.Background()
	for _, c := range []struct {
		name string
		x, y *tensor.Tensor
		want []string
	}{
		{"flat x", tensor.New(5, 784), tensor.New(5, 10), []string{"(None, 28, 28)", "(5, 784)", "Reshape(5, 28, 28)"}},
		{"labels for mse", tensor.New(5, 28, 28), tensor.New(5), []string{"mean_squared_error", "(None, 10)", "ToCategorical"}},
		{"count mismatch", tensor.New(5, 28, 28), tensor.New(4, 10), []string{"5 samples", "4"}},
	} {
		_, err := m.Fit(ctx, c.x, c.y, goras.Verbose(0), goras.Warnings(io.Discard))
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
	sparse := courseMLP()
	compile(t, sparse, losses.SparseCategoricalCrossentropy{}, sgd(t))
	y, _ := tensor.FromSlice([]float32{1, 10}, 2)
	if _, err := sparse.Fit(ctx, tensor.New(2, 28, 28), y, goras.Verbose(0)); err == nil || !strings.Contains(err.Error(), "label 1 is 10") {
		t.Errorf("out-of-range label: %v", err)
	}
	if _, err := goras.NewSequential(layers.Flatten(), layers.Dense(3)).Predict(tensor.New(1, 3)); err == nil || !strings.Contains(err.Error(), "layers.Input") {
		t.Errorf("missing Input: %v", err)
	}
	if err := goras.NewSequential(layers.Input(28, 28), layers.Dense(3)).Build(); err == nil || !strings.Contains(err.Error(), "Flatten") {
		t.Errorf("Dense on an image: %v", err)
	}
	if err := goras.NewSequential(layers.Input(4), layers.Dense(0)).Build(); err == nil || !strings.Contains(err.Error(), "positive number of units") {
		t.Errorf("Dense(0): %v", err)
	}
	if err := goras.NewSequential(layers.Input(4), layers.Dense(3, layers.WithActivation("relux"))).Build(); err == nil || !strings.Contains(err.Error(), "relux") {
		t.Errorf("unknown activation: %v", err)
	}
}

func TestFitWarnsAboutUnscaledInputs(t *testing.T) {
	x, y, _ := blobs(30, 1)
	for i := range x.Data() {
		x.Data()[i] *= 255
	}
	x.Data()[len(x.Data())-1] = 1000 // the largest value, last: the warning names it
	m := smallMLP(1)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t))
	var warn bytes.Buffer
	if _, err := m.Fit(context.Background(), x, y, goras.Verbose(0), goras.Warnings(&warn)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "inputs reach 1000;") || !strings.Contains(warn.String(), "255") || !strings.Contains(warn.String(), "10%") {
		t.Errorf("warning %q should name the division by 255 and the 10%% trap", warn.String())
	}
}

// stopAfter cancels the context after a number of batches.
type stopAfter struct {
	goras.BaseCallback
	n      int
	cancel context.CancelFunc
}

func (s *stopAfter) OnTrainBatchEnd(batch int, _ goras.Logs) {
	if batch+1 == s.n {
		s.cancel()
	}
}

func TestContextStopsTraining(t *testing.T) {
	x, y, _ := blobs(64, 1)
	m := smallMLP(1)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t))
	ctx, cancel := context.WithCancel(context.Background())
	h, err := m.Fit(ctx, x, y, goras.BatchSize(8), goras.Epochs(3), goras.Verbose(0),
		goras.Callbacks(&stopAfter{n: 2, cancel: cancel}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if h == nil || len(h.Epoch) != 0 {
		t.Errorf("history %v, want an empty one (stopped inside epoch 1)", h)
	}
}

func TestProgressLinesAndHistoryFiles(t *testing.T) {
	x, y, _ := blobs(60, 1)
	m := smallMLP(1)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t))
	var out bytes.Buffer
	h, err := m.Fit(context.Background(), x, y, goras.BatchSize(20), goras.Epochs(2), goras.Verbose(2),
		goras.ValidationData(x, y), goras.Output(&out))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^3/3 - \d+s - \d+(us|ms|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$`)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || lines[0] != "Epoch 1/2" || lines[2] != "Epoch 2/2" || !line.MatchString(lines[1]) || !line.MatchString(lines[3]) {
		t.Errorf("verbose 2 output:\n%s", out.String())
	}

	dir := t.TempDir()
	if err := h.Save(filepath.Join(dir, "h.csv")); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join(dir, "h.csv"))
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "epoch,accuracy,loss,val_accuracy,val_loss,seconds" || len(rows) != 3 || rows[2][0] != "1" {
		t.Errorf("csv rows %v", rows)
	}
	if err := h.Save(filepath.Join(dir, "h.json")); err != nil {
		t.Fatal(err)
	}
	var back goras.History
	data, _ := os.ReadFile(filepath.Join(dir, "h.json"))
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.History["val_loss"][1] != h.History["val_loss"][1] || len(back.Seconds) != 2 {
		t.Errorf("json round trip: %+v", back)
	}
	if err := h.Save(filepath.Join(dir, "h.txt")); err == nil {
		t.Error("want an error for a .txt history")
	}
}

func TestPredictMatchesEvaluate(t *testing.T) {
	x, y, _ := blobs(50, 2)
	m := smallMLP(3)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t, optimizers.LearningRate(0.1)))
	if _, err := m.Fit(context.Background(), x, y, goras.Epochs(3), goras.Verbose(0)); err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(x, goras.BatchSize(7), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, c := range tensor.ArgMax(p) {
		if y.At(i, c) == 1 {
			correct++
		}
	}
	scores, _ := m.Evaluate(x, y, goras.BatchSize(11), goras.Verbose(0))
	if got := float64(correct) / 50; got != scores["accuracy"] {
		t.Errorf("accuracy from Predict %v, Evaluate %v", got, scores["accuracy"])
	}
}

// TestUint8ImagesTrainLikeTheirFloatCopy checks that training straight from
// uint8 pixels (scaled while gathering) gives the same model, bit for bit, as
// training from the float32 copy.
func TestUint8ImagesTrainLikeTheirFloatCopy(t *testing.T) {
	rng := tensor.NewRNG(4)
	im := &mnist.Images{N: 60, Rows: 4, Cols: 4, Pixels: make([]uint8, 60*16)}
	labels := make(mnist.Labels, 60)
	for i := range im.Pixels {
		im.Pixels[i] = uint8(rng.IntN(256))
	}
	for i := range labels {
		labels[i] = uint8(i % 3)
	}
	run := func(x goras.Data) []float64 {
		m := smallMLP(2)
		compile(t, m, losses.SparseCategoricalCrossentropy{}, sgd(t, optimizers.LearningRate(0.1)))
		h, err := m.Fit(context.Background(), x, labels, goras.BatchSize(7), goras.Epochs(2),
			goras.ValidationSplit(0.2), goras.Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		return append(h.History["loss"], h.History["val_loss"]...)
	}
	a, b := run(im), run(im.Float32())
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("uint8 %v vs float32 %v", a, b)
		}
	}
}

// TestCallbackLogsReachHistory checks Keras's order at the end of an epoch:
// the user's callbacks first, then History, so a logged learning_rate is kept.
func TestCallbackLogsReachHistory(t *testing.T) {
	x, y, _ := blobs(30, 1)
	m := smallMLP(1)
	compile(t, m, losses.CategoricalCrossentropy{}, sgd(t, optimizers.LearningRate(0.1)))
	sched, err := callbacks.NewLearningRateScheduler(func(epoch int, lr float64) float64 { return lr / 2 }, callbacks.LearningRateSchedulerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(context.Background(), x, y, goras.Epochs(2), goras.Verbose(0), goras.Callbacks(sched))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.History["learning_rate"]; len(got) != 2 || math.Abs(got[0]-0.05) > 1e-9 || math.Abs(got[1]-0.025) > 1e-9 {
		t.Errorf("learning_rate history %v, want [0.05 0.025]", got)
	}
}
