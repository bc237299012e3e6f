package goras

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
)

// A frozen layer keeps its weights through training while the others
// learn; Summary counts it as non-trainable and the architecture keeps the
// flag.
func TestFreezeALayer(t *testing.T) {
	m := NewSequential(layers.Input(6), layers.Dense(5, layers.WithActivation("tanh")), layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(1)
	if err := m.SetTrainable("dense", false); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	before, _ := m.GetWeights()
	if _, err := m.Fit(context.Background(), randomTensor(1, 32, 6), oneHotRows(32, 3, 2), Epochs(2), Verbose(0)); err != nil {
		t.Fatal(err)
	}
	after, _ := m.GetWeights()
	for i := range 2 { // dense/kernel, dense/bias
		if !slices.Equal(before[i].Data(), after[i].Data()) {
			t.Errorf("frozen weight %s changed", m.Params()[i].Name)
		}
	}
	if slices.Equal(before[2].Data(), after[2].Data()) {
		t.Error("the unfrozen layer did not learn")
	}
	var b bytes.Buffer
	m.Summary(&b)
	if !strings.Contains(b.String(), "Trainable params: 18 (72.00 B)") || !strings.Contains(b.String(), "Non-trainable params: 35 (140.00 B)") {
		t.Errorf("summary of a frozen 6→5 layer (35 weights) and a 5→3 one (18); SGD adds its 2 variables:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "Optimizer params:") {
		t.Errorf("after training, Keras 3 prints the optimizer's params:\n%s", b.String())
	}
	js, _ := m.ToJSON()
	back, err := ModelFromJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if back.Trainable("dense") || !back.Trainable("dense_1") {
		t.Errorf("after a round trip through the config: dense trainable %v, dense_1 %v", back.Trainable("dense"), back.Trainable("dense_1"))
	}
	if _, err := m.GetLayer("dense_9"); err == nil || !strings.Contains(err.Error(), "its layers: dense, dense_1") {
		t.Errorf("unknown layer: %v", err)
	}
	if err := m.SetWeights(before[:1]); err == nil {
		t.Error("SetWeights with one tensor for four weights")
	}
	if err := m.SetWeights(before); err != nil {
		t.Fatal(err)
	}
	now, _ := m.GetWeights()
	if !slices.Equal(now[2].Data(), before[2].Data()) {
		t.Error("SetWeights did not set")
	}
}

// validation_freq validates after epochs 2 and 4 of 4; steps_per_epoch
// trains 3 batches an epoch, as the optimizer's step count shows.
func TestValidationFreqAndStepsPerEpoch(t *testing.T) {
	m := NewSequential(layers.Input(6), layers.Dense(3, layers.WithActivation("softmax")))
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	x, y := randomTensor(1, 40, 6), oneHotRows(40, 3, 2)
	h, err := m.Fit(context.Background(), x, y, Epochs(4), BatchSize(4), StepsPerEpoch(3), ValidationFreq(2),
		ValidationData(x, y), Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Optimizer().Iterations(); got != 12 {
		t.Errorf("%d steps, want 4 epochs × 3", got)
	}
	v := h.History["val_loss"]
	if len(v) != 4 || !math.IsNaN(v[0]) || math.IsNaN(v[1]) || !math.IsNaN(v[2]) || math.IsNaN(v[3]) {
		t.Errorf("val_loss per epoch %v, want values after epochs 2 and 4 only (NaN elsewhere)", v)
	}
	if _, err := m.Fit(context.Background(), x, y, ValidationFreq(0), Verbose(0)); err == nil {
		t.Error("validation_freq 0 accepted")
	}
}
