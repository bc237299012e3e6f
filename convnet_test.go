package goras_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// kerasConvnet is keras.io's "Simple MNIST convnet".
func kerasConvnet() *goras.Model {
	relu := layers.WithActivation("relu")
	return goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Conv2D(32, 3, relu),
		layers.MaxPooling2D(),
		layers.Conv2D(64, 3, relu),
		layers.MaxPooling2D(),
		layers.Flatten(),
		layers.Dropout(0.5),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
}

// lenet5 is LeNet-5 as the course draws it: 1 → 6 → 6 → 16 → 16 → dense.
func lenet5() *goras.Model {
	relu := layers.WithActivation("relu")
	return goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Conv2D(6, 5, relu, layers.WithPadding("same")),
		layers.MaxPooling2D(),
		layers.Conv2D(16, 5, relu),
		layers.MaxPooling2D(),
		layers.Flatten(),
		layers.Dense(120, relu),
		layers.Dense(84, relu),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
}

// TestSummaryOfTheKerasConvnet: the rows and totals Keras 3 prints for the
// keras.io convnet.
func TestSummaryOfTheKerasConvnet(t *testing.T) {
	var b bytes.Buffer
	if err := kerasConvnet().Summary(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, r := range []struct{ name, shape, params string }{
		{"conv2d (Conv2D)", "(None, 26, 26, 32)", "320"},
		{"max_pooling2d (MaxPooling2D)", "(None, 13, 13, 32)", "0"},
		{"conv2d_1 (Conv2D)", "(None, 11, 11, 64)", "18,496"},
		{"max_pooling2d_1 (MaxPooling2D)", "(None, 5, 5, 64)", "0"},
		{"flatten (Flatten)", "(None, 1600)", "0"},
		{"dropout (Dropout)", "(None, 1600)", "0"},
		{"dense (Dense)", "(None, 10)", "16,010"},
	} {
		re := regexp.MustCompile(`│ ` + regexp.QuoteMeta(r.name) + ` +│ ` + regexp.QuoteMeta(r.shape) + ` +│ +` + regexp.QuoteMeta(r.params) + ` │`)
		if !re.MatchString(out) {
			t.Errorf("no row %s %s %s in\n%s", r.name, r.shape, r.params, out)
		}
	}
	for _, line := range []string{
		" Total params: 34,826 (136.04 KB)",
		" Trainable params: 34,826 (136.04 KB)",
		" Non-trainable params: 0 (0.00 B)",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("missing %q in\n%s", line, out)
		}
	}
}

func TestSummaryOfLeNet5(t *testing.T) {
	m := lenet5()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	// 5·5·1·6+6 + 5·5·6·16+16 + 400·120+120 + 120·84+84 + 84·10+10.
	if n, want := m.CountParams(), 156+2416+48120+10164+850; n != want {
		t.Errorf("LeNet-5 has %d params, want %d", n, want)
	}
	if got := m.OutputShape(); len(got) != 1 || got[0] != 10 {
		t.Errorf("output shape %v", got)
	}
}

// convBatch is a fixed batch of random images and one-hot labels.
func convBatch(n int) (x, y *tensor.Tensor) {
	rng := tensor.NewRNG(9)
	x = tensor.New(n, 28, 28, 1)
	x.FillUniform(rng, 0, 1)
	y = tensor.New(n, 10)
	for i := 0; i < n; i++ {
		y.Set(1, i, rng.IntN(10))
	}
	return x, y
}

func compileConv(t testing.TB, m *goras.Model) {
	t.Helper()
	m.SetSeed(1)
	adam, err := optimizers.NewAdam()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
}

// TestConvTrainStepAllocatesNothing: once built, a training step of LeNet-5
// and of the keras.io convnet (with dropout) allocates nothing, and a few
// steps on one batch lower its loss.
func TestConvTrainStepAllocatesNothing(t *testing.T) {
	for name, build := range map[string]func() *goras.Model{"lenet5": lenet5, "keras-convnet": kerasConvnet} {
		m := build()
		compileConv(t, m)
		x, y := convBatch(8)
		first, err := m.TrainOnBatch(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(3, func() { m.TrainOnBatch(x, y) }); n != 0 {
			t.Errorf("%s: a training step allocates %v times", name, n)
		}
		var last float64
		for i := 0; i < 15; i++ {
			last, _ = m.TrainOnBatch(x, y)
		}
		if !(last < 0.8*first) {
			t.Errorf("%s: 19 Adam steps on one batch took the loss from %.4f to %.4f", name, first, last)
		}
	}
}

// BenchmarkTrainStepLeNet5 is one LeNet-5 training step (forward, backward,
// Adam) at batch 100.
func BenchmarkTrainStepLeNet5(b *testing.B) {
	m := lenet5()
	compileConv(b, m)
	x, y := convBatch(100)
	if _, err := m.TrainOnBatch(x, y); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.TrainOnBatch(x, y)
	}
}
