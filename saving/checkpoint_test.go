package saving_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// TestResumeIsBitIdentical: 4 epochs straight versus 2 epochs, a
// checkpoint file, a model loaded from it alone and 2 more epochs. goras.Shuffle,
// Pipeline(RandomRotation, RandomZoom), RandomTranslation, Dropout, Adam
// and an ExponentialDecay schedule all carry state across the cut.
func TestResumeIsBitIdentical(t *testing.T) {
	x, y := ckptData(48)
	straight := ckptModel(7)
	ckptCompile(t, straight)
	hStraight := ckptFit(t, straight, x, y, 4, 0)

	first := ckptModel(7)
	ckptCompile(t, first)
	h1 := ckptFit(t, first, x, y, 2, 0)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := saving.SaveCheckpoint(first, path, 1, h1); err != nil {
		t.Fatal(err)
	}
	first = nil // resume from the file alone

	resumed, ck, err := saving.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 1 || ck.Path != path || len(ck.Skipped) != 0 {
		t.Fatalf("checkpoint %+v, want epoch 1 at %s", ck, path)
	}
	if got := resumed.Optimizer().Iterations(); got != 10 { // 2 epochs of 36/8 → 5 steps
		t.Errorf("restored optimizer at step %d, want 10", got)
	}
	h2 := ckptFit(t, resumed, x, y, 4, ck.Epoch+1)
	if d := sameState(resumed, straight); d != "" {
		t.Fatalf("resumed run differs from the uninterrupted one: %s", d)
	}
	sameHistory(t, "resumed goras.History", ck.History.Concat(h2), hStraight, true)

	// The same in one process: Fit again with goras.InitialEpoch on the same model.
	again := ckptModel(7)
	ckptCompile(t, again)
	ckptFit(t, again, x, y, 2, 0)
	ckptFit(t, again, x, y, 4, 2)
	if d := sameState(again, straight); d != "" {
		t.Errorf("two Fit calls (goras.InitialEpoch 2) differ from one: %s", d)
	}
}

// TestResumeNeedsEveryState: leaving out any one piece of the checkpoint
// (each random generator, the optimizer's slots, its step count) changes
// the result, so the bit-identical resume above proves each is saved.
func TestResumeNeedsEveryState(t *testing.T) {
	x, y := ckptData(48)
	straight := ckptModel(7)
	ckptCompile(t, straight)
	ckptFit(t, straight, x, y, 4, 0)
	first := ckptModel(7)
	ckptCompile(t, first)
	h1 := ckptFit(t, first, x, y, 2, 0)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := saving.SaveCheckpoint(first, path, 1, h1); err != nil {
		t.Fatal(err)
	}
	other, _ := tensor.NewStatefulRNG(99).MarshalBinary()
	// spoilState replaces one generator's state (the shuffling's, or a
	// layer's by name) with another generator's.
	spoilState := func(layer string) func(m *goras.Model) {
		return func(m *goras.Model) {
			s, err := m.RandomState()
			if err != nil {
				t.Fatal(err)
			}
			if layer == "" {
				s.Shuffle = other
			} else if _, ok := s.Layers[layer]; !ok {
				t.Fatalf("no random state for %q among %v", layer, s.Layers)
			} else {
				s.Layers[layer] = other
			}
			if err := m.SetRandomState(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	optVar := func(part string) func(m *goras.Model) {
		return func(m *goras.Model) {
			for _, v := range m.Optimizer().Variables() {
				if strings.Contains(v.Name, part) {
					clear(v.Value.Data())
				}
			}
		}
	}
	for _, c := range []struct {
		name  string
		spoil func(m *goras.Model)
	}{
		{"shuffle generator", spoilState("")},
		{"Dropout generator", spoilState("dropout")},
		{"RandomTranslation generator", spoilState("random_translation")},
		{"RandomZoom generator (in the Pipeline)", spoilState("pipeline/1")},
		{"Adam first moments", optVar("/m/")},
		{"Adam second moments", optVar("/v/")},
		{"step count (schedule, bias correction)", optVar("/iteration")},
	} {
		m, ck, err := saving.LoadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		if d := slices.IndexFunc(m.Optimizer().Variables(), func(v optimizers.Variable) bool { return strings.Contains(v.Name, "/m/") }); d < 0 {
			t.Fatalf("no Adam slot named /m/ among %v", m.Optimizer().Variables())
		}
		c.spoil(m)
		ckptFit(t, m, x, y, 4, ck.Epoch+1)
		if sameState(m, straight) == "" {
			t.Errorf("resuming without the %s still gives the uninterrupted weights: the test cannot see it", c.name)
		}
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	m := ckptModel(1)
	if err := saving.SaveCheckpoint(m, filepath.Join(dir, "a.safetensors"), 0, nil); err == nil || !strings.Contains(err.Error(), "not compiled") {
		t.Errorf("uncompiled model: got %v", err)
	}
	ckptCompile(t, m)
	if err := saving.SaveCheckpoint(m, filepath.Join(dir, "a.safetensors"), -1, nil); err == nil || !strings.Contains(err.Error(), "epoch must be ≥ 0") {
		t.Errorf("epoch -1: got %v", err)
	}
	plain := filepath.Join(dir, "model.safetensors")
	if err := saving.Save(m, plain); err != nil {
		t.Fatal(err)
	}
	if _, _, err := saving.LoadCheckpoint(plain); err == nil || !strings.Contains(err.Error(), "not a goras checkpoint") || !strings.Contains(err.Error(), "saving.Load") {
		t.Errorf("a model file read as a checkpoint: got %v", err)
	}
	// An optimizer's state cannot go into a model compiled with another.
	path := filepath.Join(dir, "c.safetensors")
	if err := saving.SaveCheckpoint(m, path, 0, nil); err != nil {
		t.Fatal(err)
	}
	_, ck, err := saving.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ck.History.Epoch) != 0 {
		t.Errorf("nil goras.History saved, read back %+v", ck.History)
	}
}

// Restore into a model compiled with another optimizer is refused before
// anything is changed: the model keeps its own weights.
func TestRestoreOtherOptimizerChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt-0001.safetensors")
	saved := ckptModel(1)
	ckptCompile(t, saved)
	if err := saving.SaveCheckpoint(saved, path, 0, nil); err != nil {
		t.Fatal(err)
	}
	m := ckptModel(2)
	sgd, err := optimizers.NewSGD()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Loss: losses.CategoricalCrossentropy{}, Optimizer: sgd}); err != nil {
		t.Fatal(err)
	}
	var before [][]float32
	for _, p := range m.Params() {
		before = append(before, slices.Clone(p.Value.Data()))
	}
	if _, err := saving.Restore(m, path); err == nil || !strings.Contains(err.Error(), "its optimizer state is for Adam, the compile settings make a SGD") {
		t.Fatalf("Restore into an SGD model: %v", err)
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.Value.Data(), before[i]) {
			t.Fatalf("the failed Restore changed weight %s", p.Name)
		}
	}
}

// TestCheckpointHistoryNaN: a diverged loss (NaN, ±Inf) is kept exactly,
// though JSON numbers cannot hold it, and Concat keeps series aligned.
func TestCheckpointHistoryNaN(t *testing.T) {
	m := ckptModel(1)
	ckptCompile(t, m)
	h := &goras.History{Epoch: []int{0, 1, 2}, History: map[string][]float64{
		"loss": {0.5, math.Inf(1), math.NaN()}, "accuracy": {0.1, 1.0 / 3, math.Inf(-1)},
	}, Seconds: []float64{1, 2, 3}, Params: map[string]int{"epochs": 9, "steps": 4, "verbose": 0}}
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := saving.SaveCheckpoint(m, path, 2, h); err != nil {
		t.Fatal(err)
	}
	_, ck, err := saving.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, "read back", ck.History, h, true)

	later := &goras.History{Epoch: []int{3}, History: map[string][]float64{"loss": {0.25}, "learning_rate": {0.01}},
		Seconds: []float64{4}, Params: map[string]int{"epochs": 10, "steps": 4, "verbose": 1}}
	all := ck.History.Concat(later)
	want := map[string][]float64{
		"loss": {0.5, math.Inf(1), math.NaN(), 0.25}, "accuracy": {0.1, 1.0 / 3, math.Inf(-1), math.NaN()},
		"learning_rate": {math.NaN(), math.NaN(), math.NaN(), 0.01},
	}
	sameHistory(t, "Concat", all, &goras.History{Epoch: []int{0, 1, 2, 3}, History: want, Seconds: make([]float64, 4),
		Params: map[string]int{"epochs": 10, "steps": 4, "verbose": 1}}, true)
}

// TestLoadReadsACheckpointAsAModel checks that saving.Load (and so `goras
// evaluate`) accepts a checkpoint file, taking its weights.
func TestLoadReadsACheckpointAsAModel(t *testing.T) {
	x, y := ckptData(30)
	m := ckptModel(1)
	ckptCompile(t, m)
	h, err := m.Fit(context.Background(), x, y, goras.Epochs(1), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := saving.SaveCheckpoint(m, path, 0, h); err != nil {
		t.Fatal(err)
	}
	back, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.Predict(x, goras.Verbose(0))
	b, _ := back.Predict(x, goras.Verbose(0))
	for i := range a.Data() {
		if a.Data()[i] != b.Data()[i] {
			t.Fatalf("prediction %d differs after loading the checkpoint", i)
		}
	}
}
