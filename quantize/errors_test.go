package quantize_test

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
)

// TestRefusesWhatItCannotQuantize checks that each model it cannot
// quantize gets an error naming the layer at fault and why, not a panic.
func TestRefusesWhatItCannotQuantize(t *testing.T) {
	in := func() layers.Layer { return layers.Input(28, 28, 1) }
	tail := func() []layers.Layer {
		return []layers.Layer{layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax"))}
	}
	seq := func(ls ...layers.Layer) *goras.Model {
		return goras.NewSequential(append(append([]layers.Layer{in()}, ls...), tail()...)...)
	}
	for _, c := range []struct {
		name  string
		model *goras.Model
		want  []string
	}{
		{"average pooling", seq(layers.AveragePooling2D(2, layers.WithName("avg"))), []string{`"avg" (AveragePooling2D)`, "only MaxPooling2D"}},
		{"3×3 max pooling", seq(layers.MaxPooling2D(layers.WithPoolSize(3), layers.WithName("mp3"))), []string{`"mp3"`, "2×2 windows"}},
		{"tanh convolution", seq(layers.Conv2D(4, 3, layers.WithActivation("tanh"), layers.WithName("c"))), []string{`"c" (Conv2D)`, "activation is tanh"}},
		{"batch norm first", seq(layers.BatchNormalization(layers.WithName("bn"))), []string{`"bn" (BatchNormalization)`, "right after a Conv2D or Dense"}},
		{"batch norm after relu", seq(layers.Conv2D(4, 3, layers.WithActivation("relu")), layers.BatchNormalization(layers.WithName("bn2"))), []string{`"bn2"`}},
		{"capped relu", seq(layers.Conv2D(4, 3), layers.ReLU(layers.WithMaxValue(6), layers.WithName("relu6"))), []string{`"relu6" (ReLU)`, "max_value"}},
		{"layer normalization", seq(layers.LayerNormalization(layers.WithName("ln"))), []string{`"ln" (LayerNormalization)`, "no quantized form"}},
		{"random crop", seq(layers.RandomCrop(24, 24, layers.WithName("crop"))), []string{`"crop" (RandomCrop)`}},
		{"no dense at the end", goras.NewSequential(in(), layers.Conv2D(4, 3), layers.Flatten()), []string{"must end with a Dense"}},
	} {
		_, err := quantize.Quantize(c.model, images(4, 1))
		if err == nil {
			t.Errorf("%s: quantized without error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
	}
	// A graph that is not a chain.
	x := goras.Input(28, 28, 1)
	a := goras.Call(layers.Conv2D(4, 3, layers.WithPadding("same")), x)
	b := goras.Call(layers.Conv2D(4, 3, layers.WithPadding("same")), x)
	s := goras.Call(layers.Add(layers.WithName("sum")), a, b)
	out := goras.Call(layers.Dense(10), goras.Call(layers.Flatten(), s))
	m, err := goras.NewModel([]*goras.KerasTensor{x}, []*goras.KerasTensor{out})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quantize.Quantize(m, images(4, 1)); err == nil || !strings.Contains(err.Error(), "chain") {
		t.Errorf("a two-branch graph: error %v, want one saying only a chain can be quantized", err)
	}
}

// TestBadInputsAreErrors checks Predict's and Quantize's errors on data of
// the wrong shape or holding NaN: they say what was expected and where.
func TestBadInputsAreErrors(t *testing.T) {
	m := bnNet()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	randomWeights(m, 4)
	if _, err := quantize.Quantize(m, tensor.New(10, 784)); err == nil || !strings.Contains(err.Error(), "(None, 28, 28, 1)") {
		t.Errorf("calibration samples of shape (10, 784): error %v, want one naming (None, 28, 28, 1)", err)
	}
	bad := images(40, 1)
	bad.Data()[33*784+5] = float32(math.NaN())
	if _, err := quantize.Quantize(m, bad); err == nil || !strings.Contains(err.Error(), "sample 33") {
		t.Errorf("NaN in calibration sample 33: error %v", err)
	}
	q, err := quantize.Quantize(m, images(40, 1))
	if err != nil {
		t.Fatal(err)
	}
	// Axes of length 1 may be left out.
	flat, _ := images(3, 2).Reshape(3, 28, 28)
	if _, err := q.Predict(flat); err != nil {
		t.Errorf("inputs (3, 28, 28) for (28, 28, 1): %v", err)
	}
	for _, c := range []struct {
		name string
		x    *tensor.Tensor
		want string
	}{
		{"nil", nil, "got nil"},
		{"flat vectors", tensor.New(5, 784), "takes inputs of shape (None, 28, 28, 1), got (5, 784)"},
		{"no batch axis", tensor.New(28), "want a batch"},
		{"NaN", bad, "sample 33 holds NaN at position 5"},
	} {
		_, err := q.Predict(c.x)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	inf := images(70, 3)
	inf.Data()[65*784] = float32(math.Inf(-1))
	inf.Data()[40*784+1] = float32(math.Inf(1))
	if _, err := q.Predict(inf); err == nil || !strings.Contains(err.Error(), "sample 40 holds +Inf at position 1") {
		t.Errorf("infinities in samples 40 and 65: error %v, want the first named", err)
	}
}

// TestCalibrationOverflowIsAnError quantizes models whose calibration
// samples take a layer's outputs beyond float32 (huge weights, as a run
// that diverged leaves them). Quantize used to accept them with an
// infinite output scale: Predict gave NaN without an error and Save failed
// on the scale. It must refuse, naming the layer.
func TestCalibrationOverflowIsAnError(t *testing.T) {
	for first, m := range map[string]*goras.Model{
		"hidden": goras.NewSequential(layers.Input(28, 28, 1), layers.Flatten(),
			layers.Dense(8, layers.WithActivation("relu"), layers.WithName("hidden")), layers.Dense(2)),
		"conv": goras.NewSequential(layers.Input(28, 28, 1), layers.Conv2D(4, 3, layers.WithActivation("relu"), layers.WithName("conv")),
			layers.Flatten(), layers.Dense(2)),
	} {
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			for i := range p.Value.Data() {
				p.Value.Data()[i] = 1e38 // finite, but a sum of a few products of it with 0.5–1 is not
			}
		}
		q, err := quantize.Quantize(m, images(8, 1))
		if err == nil || !strings.Contains(err.Error(), "overflow float32") || !strings.Contains(err.Error(), first) {
			var y *tensor.Tensor
			if q != nil {
				y, _ = q.Predict(images(1, 2))
			}
			t.Errorf("%s: error %v (outputs %v), want one naming the layer and saying its outputs overflow", first, err, y)
		}
	}
}
