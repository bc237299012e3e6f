package saving_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/saving"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// ckptModel has every kind of training state a checkpoint must carry:
// augmentation layers (one inside a Pipeline), Dropout, and, once compiled
// by ckptCompile, Adam's slots driven by a learning-rate schedule.
func ckptModel(seed uint64) *goras.Model {
	m := goras.NewSequential(layers.Input(6, 6, 1),
		layers.Pipeline([]layers.Layer{
			layers.RandomRotation(0.05, layers.WithFillMode("constant")),
			layers.RandomZoom(0.1, layers.WithFillMode("constant")),
		}),
		layers.RandomTranslation(0.1, 0.1, layers.WithFillMode("constant")),
		layers.Flatten(),
		layers.Dense(12, layers.WithActivation("relu")),
		layers.Dropout(0.25),
		layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(seed)
	return m
}

func ckptCompile(t testing.TB, m *goras.Model) {
	t.Helper()
	sched, err := schedules.NewExponentialDecay(0.02, 3, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := optimizers.NewAdam(optimizers.Schedule(sched))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Loss: losses.CategoricalCrossentropy{}, Optimizer: opt, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
}

// ckptData is n 6x6 images of three classes (a bright row, column or
// diagonal) with noise, and their one-hot labels.
func ckptData(n int) (*tensor.Tensor, *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float32, n*36)
	y := make([]float32, n*3)
	for i := range n {
		c := i % 3
		y[i*3+c] = 1
		for p := range 36 {
			r, col := p/6, p%6
			v := 0.1 * rng.Float64()
			if (c == 0 && r == 2) || (c == 1 && col == 3) || (c == 2 && r == col) {
				v += 0.8
			}
			x[i*36+p] = float32(v)
		}
	}
	xt, _ := tensor.FromSlice(x, n, 6, 6, 1)
	yt, _ := tensor.FromSlice(y, n, 3)
	return xt, yt
}

// backupEvery is the backup callback as the tests use it: keep (0: every
// one) checkpoints, left in place after training.
func backupEvery(t testing.TB, dir string, keep int) *callbacks.BackupAndRestore {
	t.Helper()
	if keep == 0 {
		keep = -1
	}
	cb, err := callbacks.NewBackupAndRestore(dir, callbacks.BackupAndRestoreConfig{Keep: keep, KeepAfterTraining: true})
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func ckptFit(t testing.TB, m *goras.Model, x, y goras.Data, epochs, initial int, cbs ...goras.Callback) *goras.History {
	t.Helper()
	h, err := m.Fit(context.Background(), x, y, goras.BatchSize(8), goras.Epochs(epochs), goras.InitialEpoch(initial),
		goras.ValidationSplit(0.25), goras.Verbose(0), goras.Callbacks(cbs...))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// sameState reports the first weight or optimizer variable whose bits
// differ between a and b, or "" when none does.
func sameState(a, b *goras.Model) string {
	if len(a.Params()) != len(b.Params()) {
		return fmt.Sprintf("%d weights vs %d", len(a.Params()), len(b.Params()))
	}
	for i, p := range a.Params() {
		if d := firstBitDiff(p.Value.Data(), b.Params()[i].Value.Data()); d >= 0 {
			return fmt.Sprintf("weight %s[%d]: %v vs %v", p.Name, d, p.Value.Data()[d], b.Params()[i].Value.Data()[d])
		}
	}
	va, vb := a.Optimizer().Variables(), b.Optimizer().Variables()
	if len(va) != len(vb) {
		return fmt.Sprintf("%d optimizer variables vs %d", len(va), len(vb))
	}
	for i, v := range va {
		if d := firstBitDiff(v.Value.Data(), vb[i].Value.Data()); d >= 0 {
			return fmt.Sprintf("optimizer variable %s[%d]: %v vs %v", v.Name, d, v.Value.Data()[d], vb[i].Value.Data()[d])
		}
	}
	return ""
}

func firstBitDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// sameHistory compares epochs, params and every logged value bit for bit
// (wall times aside).
func sameHistory(t *testing.T, what string, got, want *goras.History, params bool) {
	t.Helper()
	if !slices.Equal(got.Epoch, want.Epoch) {
		t.Errorf("%s: epochs %v, want %v", what, got.Epoch, want.Epoch)
	}
	if params && !reflect.DeepEqual(got.Params, want.Params) {
		t.Errorf("%s: params %v, want %v", what, got.Params, want.Params)
	}
	if !slices.Equal(got.Keys(), want.Keys()) {
		t.Fatalf("%s: keys %v, want %v", what, got.Keys(), want.Keys())
	}
	for _, k := range want.Keys() {
		g, w := got.History[k], want.History[k]
		if len(g) != len(w) {
			t.Errorf("%s: %s has %d values, want %d", what, k, len(g), len(w))
			continue
		}
		for i := range w {
			if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
				t.Errorf("%s: %s[%d] = %v, want %v", what, k, i, g[i], w[i])
			}
		}
	}
	if len(got.Seconds) != len(want.Seconds) {
		t.Errorf("%s: %d epoch times, want %d", what, len(got.Seconds), len(want.Seconds))
	}
}

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

// TestCheckpointEveryResume: the callback's checkpoints, found with
// saving.LatestCheckpoint, resume to the same weights and goras.History.
func TestCheckpointEveryResume(t *testing.T) {
	x, y := ckptData(48)
	straight := ckptModel(3)
	ckptCompile(t, straight)
	hStraight := ckptFit(t, straight, x, y, 4, 0)

	dir := filepath.Join(t.TempDir(), "ckpts") // created by the callback
	m := ckptModel(3)
	ckptCompile(t, m)
	cb := backupEvery(t, dir, 0)
	ckptFit(t, m, x, y, 2, 0, cb)
	if cb.Err() != nil {
		t.Fatal(cb.Err())
	}
	m = nil
	resumed, ck, err := saving.LatestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 1 || filepath.Base(ck.Path) != "ckpt-0002.safetensors" {
		t.Fatalf("latest checkpoint is epoch %d at %s, want epoch 1 at ckpt-0002.safetensors", ck.Epoch, ck.Path)
	}
	cb2 := backupEvery(t, dir, 0)
	h2 := ckptFit(t, resumed, x, y, 4, ck.Epoch+1, cb2)
	if d := sameState(resumed, straight); d != "" {
		t.Fatalf("resumed from the callback's checkpoint, the run differs: %s", d)
	}
	sameHistory(t, "checkpoint goras.History + resumed Fit", ck.History.Concat(h2), hStraight, true)
	sameHistory(t, "callback goras.History", cb2.History(), hStraight, false)
	_, last, err := saving.LatestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if last.Epoch != 3 {
		t.Errorf("after 4 epochs the latest checkpoint is epoch %d, want 3", last.Epoch)
	}
	sameHistory(t, "goras.History in the last checkpoint", last.History, hStraight, false)
}

// TestCheckpointPrune: keep-last-N, keep 0 = all, and a resumed run from an
// older checkpoint removes the files of the abandoned later epochs.
func TestCheckpointPrune(t *testing.T) {
	x, y := ckptData(24)
	names := func(dir string) []string {
		paths, err := saving.Checkpoints(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	for _, c := range []struct {
		keep int
		want []string
	}{
		{2, []string{"ckpt-0004.safetensors", "ckpt-0005.safetensors"}},
		{1, []string{"ckpt-0005.safetensors"}},
		{0, []string{"ckpt-0001.safetensors", "ckpt-0002.safetensors", "ckpt-0003.safetensors", "ckpt-0004.safetensors", "ckpt-0005.safetensors"}},
	} {
		dir := t.TempDir()
		m := ckptModel(1)
		ckptCompile(t, m)
		ckptFit(t, m, x, y, 5, 0, backupEvery(t, dir, c.keep))
		if got := names(dir); !slices.Equal(got, c.want) {
			t.Errorf("keep %d: %v, want %v", c.keep, got, c.want)
		}
	}

	dir := t.TempDir()
	m := ckptModel(1)
	ckptCompile(t, m)
	ckptFit(t, m, x, y, 5, 0, backupEvery(t, dir, 0))
	stale := filepath.Join(dir, ".ckpt-0006.safetensors.tmp-123")
	if err := os.WriteFile(stale, []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same Fit again restores the last backup, has nothing left to
	// train, and clears what a killed write left.
	cb := backupEvery(t, dir, 0)
	if h := ckptFit(t, m, x, y, 5, 0, cb); len(h.Epoch) != 0 || cb.Restored() == nil || cb.Restored().Epoch != 4 {
		t.Errorf("a finished run started again trained %v (restored %+v), want nothing from epoch 4's backup", h.Epoch, cb.Restored())
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a temporary file left by a killed write is still there (%v)", err)
	}
	// A run going on from an older epoch drops the abandoned later files.
	if err := saving.Prune(dir, 2, 0); err != nil {
		t.Fatal(err)
	}
	want := []string{"ckpt-0001.safetensors", "ckpt-0002.safetensors", "ckpt-0003.safetensors"}
	if got := names(dir); !slices.Equal(got, want) {
		t.Errorf("after pruning at epoch 2 over 5 files: %v, want %v", got, want)
	}
}

// copyDir copies the checkpoint files of src into a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	paths, err := saving.Checkpoints(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestLatestCheckpointFallsBack: a truncated, altered, empty or renamed
// newest checkpoint is passed over, with the reason, for the one before.
func TestLatestCheckpointFallsBack(t *testing.T) {
	x, y := ckptData(24)
	src := t.TempDir()
	m := ckptModel(2)
	ckptCompile(t, m)
	ckptFit(t, m, x, y, 3, 0, backupEvery(t, src, 0))
	newest := "ckpt-0003.safetensors"
	edit := func(f func(b []byte) []byte) func(dir string) {
		return func(dir string) {
			p := filepath.Join(dir, newest)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name   string
		spoil  func(dir string)
		reason string
	}{
		{"truncated to half", edit(func(b []byte) []byte { return b[:len(b)/2] }), "safetensors"},
		{"empty", edit(func(b []byte) []byte { return nil }), "safetensors"},
		{"one data byte flipped", edit(func(b []byte) []byte { b[len(b)-5] ^= 0x40; return b }), "SHA-256"},
		{"epoch altered in the header", edit(func(b []byte) []byte {
			return bytes.Replace(b, []byte(`\"epoch\":2,`), []byte(`\"epoch\":1,`), 1)
		}), "SHA-256"},
		{"renamed from an older one", func(dir string) {
			b, err := os.ReadFile(filepath.Join(dir, "ckpt-0001.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, newest), b, 0o644)
		}, "named for epoch 3 but holds the state after epoch 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, src)
			// Files that are not checkpoints are never candidates.
			os.WriteFile(filepath.Join(dir, ".ckpt-0009.safetensors.tmp-42"), []byte("partial"), 0o644)
			os.WriteFile(filepath.Join(dir, "ckpt-0010.safetensors.bak"), []byte("junk"), 0o644)
			before, _ := os.ReadFile(filepath.Join(dir, newest))
			c.spoil(dir)
			after, _ := os.ReadFile(filepath.Join(dir, newest))
			if bytes.Equal(before, after) {
				t.Fatal("the spoiling changed nothing")
			}
			_, ck, err := saving.LatestCheckpoint(dir)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Epoch != 1 || filepath.Base(ck.Path) != "ckpt-0002.safetensors" {
				t.Errorf("fell back to epoch %d at %s, want epoch 1 at ckpt-0002.safetensors", ck.Epoch, ck.Path)
			}
			if len(ck.Skipped) != 1 {
				t.Fatalf("skipped %v, want the newest only", ck.Skipped)
			}
			msg := ck.Skipped[0].Error()
			if !strings.Contains(msg, newest) || !strings.Contains(msg, c.reason) {
				t.Errorf("skip reason %q should name %s and say %q", msg, newest, c.reason)
			}
		})
	}

	t.Run("all spoiled", func(t *testing.T) {
		dir := copyDir(t, src)
		for _, n := range []string{"ckpt-0001.safetensors", "ckpt-0002.safetensors", newest} {
			os.WriteFile(filepath.Join(dir, n), []byte("not a checkpoint"), 0o644)
		}
		_, _, err := saving.LatestCheckpoint(dir)
		if err == nil || errors.Is(err, saving.ErrNoCheckpoint) || !strings.Contains(err.Error(), "none of the 3 checkpoints") || !strings.Contains(err.Error(), "ckpt-0001") {
			t.Errorf("got %v, want an error naming each of the 3 files", err)
		}
	})
	t.Run("none", func(t *testing.T) {
		for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
			if _, _, err := saving.LatestCheckpoint(dir); !errors.Is(err, saving.ErrNoCheckpoint) {
				t.Errorf("%s: got %v, want ErrNoCheckpoint", dir, err)
			}
		}
	})
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

// TestCheckpointSkipsCutEpoch: an epoch stopped during its batches (as
// TerminateOnNaN stops) is not saved.
func TestCheckpointSkipsCutEpoch(t *testing.T) {
	x, y := ckptData(24)
	dir := t.TempDir()
	m := ckptModel(1)
	ckptCompile(t, m)
	stopper := &batchStopper{at: [2]int{1, 0}}
	cb := backupEvery(t, dir, 0)
	ckptFit(t, m, x, y, 3, 0, stopper, cb)
	paths, _ := saving.Checkpoints(dir)
	if len(paths) != 1 || filepath.Base(paths[0]) != "ckpt-0001.safetensors" {
		t.Errorf("checkpoints %v, want ckpt-0001.safetensors only (epoch 2 was cut after its first batch)", paths)
	}
	if len(cb.History().Epoch) != 1 {
		t.Errorf("callback goras.History has epochs %v, want [0]", cb.History().Epoch)
	}
}

// batchStopper stops training after batch at[1] of epoch at[0].
type batchStopper struct {
	goras.BaseCallback
	epoch int
	at    [2]int
}

func (b *batchStopper) OnEpochBegin(epoch int, _ goras.Logs) { b.epoch = epoch }
func (b *batchStopper) OnTrainBatchEnd(batch int, _ goras.Logs) {
	if b.epoch == b.at[0] && batch == b.at[1] {
		b.Model.StopTraining = true
	}
}

// The kill test's child: a training of $GORAS_CKPT_CHILD_EPOCHS epochs
// that writes a checkpoint every epoch into $GORAS_CKPT_CHILD, resuming from
// the newest one there if any.
const (
	childEnv       = "GORAS_CKPT_CHILD"
	childEpochsEnv = "GORAS_CKPT_CHILD_EPOCHS"
	killKeep       = 3
	killSamples    = 32
)

// killModel is big enough (≈200k weights, 2.4 MB with Adam's slots) that
// writing its checkpoint takes most of an epoch, so that kills often land
// in the middle of a write.
func killModel() *goras.Model {
	m := goras.NewSequential(layers.Input(784),
		layers.Dense(256, layers.WithActivation("relu")),
		layers.Dropout(0.2),
		layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(5)
	return m
}

func killData() (*tensor.Tensor, *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(killSamples, 784)
	x.FillUniform(rng, 0, 1)
	y := tensor.New(killSamples, 10)
	for i := range killSamples {
		y.Data()[i*10+i%10] = 1
	}
	return x, y
}

func killCompile(t testing.TB, m *goras.Model) {
	opt, err := optimizers.NewAdam()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Loss: losses.CategoricalCrossentropy{}, Optimizer: opt, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointKillChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestCheckpointKilledMidWrite")
	}
	epochs, err := strconv.Atoi(os.Getenv(childEpochsEnv))
	if err != nil {
		t.Fatal(err)
	}
	// As Keras's BackupAndRestore is used: the same model and the same
	// Fit call every time; the callback restores the newest backup, if any,
	// and Fit goes on from the epoch after it.
	x, y := killData()
	cb := backupEvery(t, dir, killKeep)
	m := killModel()
	killCompile(t, m)
	if _, err := m.Fit(context.Background(), x, y, goras.BatchSize(16), goras.Epochs(epochs),
		goras.Verbose(0), goras.Callbacks(cb)); err != nil {
		t.Fatal(err)
	}
	if cb.Err() != nil {
		t.Fatal(cb.Err())
	}
}

// TestCheckpointKilledMidWrite starts the child, kills it (SIGKILL) at a
// random moment, and checks that every checkpoint left in the directory
// loads, the newest first; then lets the last child finish and compares
// the result of this chain of killed and resumed processes with a run that
// never stopped.
func TestCheckpointKilledMidWrite(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("this is the child")
	}
	dir := t.TempDir()
	child := func(epochs int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, childEpochsEnv+"="+strconv.Itoa(epochs))
		return cmd
	}
	rng := rand.New(rand.NewPCG(2024, 5))
	kills, midWrite, lastEpoch := 0, 0, -1
	for round := 0; round < 8; round++ {
		cmd := child(1 << 30) // trains until killed
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL: no deferred function, no cleanup runs
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: the child ended otherwise than killed: %v\n%s", round, err, out.String())
		}
		kills++
		temps, _ := filepath.Glob(filepath.Join(dir, ".ckpt-*.tmp-*"))
		if len(temps) > 0 {
			midWrite++
		}
		paths, err := saving.Checkpoints(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) > killKeep+1 { // one more if killed between a write and its pruning
			t.Errorf("round %d: %d checkpoints kept, want ≤ %d", round, len(paths), killKeep+1)
		}
		_, ck, err := saving.LatestCheckpoint(dir)
		if errors.Is(err, saving.ErrNoCheckpoint) && lastEpoch < 0 {
			continue // killed before the first checkpoint
		}
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(ck.Skipped) > 0 {
			t.Errorf("round %d: the newest checkpoint did not load: %v", round, ck.Skipped)
		}
		for _, p := range paths {
			if _, _, err := saving.LoadCheckpoint(p); err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		if ck.Epoch < lastEpoch {
			t.Errorf("round %d: the newest checkpoint went back from epoch %d to %d", round, lastEpoch, ck.Epoch)
		}
		lastEpoch = ck.Epoch
	}
	// The last child runs 3 epochs more than the newest checkpoint has.
	epochs := lastEpoch + 1 + 3
	t.Logf("%d kills, %d of them during a checkpoint write (temporary file present); last child trains to epoch %d", kills, midWrite, epochs)
	if out, err := child(epochs).CombinedOutput(); err != nil {
		t.Fatalf("the last child failed: %v\n%s", err, out)
	}
	resumed, ck, err := saving.LatestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != epochs-1 {
		t.Fatalf("the last child stopped at epoch %d, want %d", ck.Epoch, epochs-1)
	}
	x, y := killData()
	straight := killModel()
	killCompile(t, straight)
	h, err := straight.Fit(context.Background(), x, y, goras.BatchSize(16), goras.Epochs(epochs), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if d := sameState(resumed, straight); d != "" {
		t.Errorf("killed and resumed %d times, the weights differ from an uninterrupted run: %s", kills, d)
	}
	sameHistory(t, "goras.History across the killed processes", ck.History, h, false)
}

// cancelAt cancels the training's context at the end of an epoch: Fit
// then returns in the next epoch's first step, as if killed there.
type cancelAt struct {
	goras.BaseCallback
	epoch  int
	cancel context.CancelFunc
}

func (c *cancelAt) OnEpochEnd(epoch int, _ goras.Logs) {
	if epoch == c.epoch {
		c.cancel()
	}
}

// BackupAndRestore as Keras users use it: the same model, compiled the
// same way, and the same Fit call; a run stopped after epoch 1 and started
// again ends as one never stopped, and the backups go once training ends.
func TestBackupAndRestoreResumes(t *testing.T) {
	x, y := ckptData(48)
	straight := ckptModel(11)
	ckptCompile(t, straight)
	hStraight := ckptFit(t, straight, x, y, 4, 0)

	dir := filepath.Join(t.TempDir(), "backup")
	newBackup := func() *callbacks.BackupAndRestore {
		cb, err := callbacks.NewBackupAndRestore(dir, callbacks.BackupAndRestoreConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return cb
	}
	first := ckptModel(11)
	ckptCompile(t, first)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cb := newBackup()
	_, err := first.Fit(ctx, x, y, goras.BatchSize(8), goras.Epochs(4), goras.ValidationSplit(0.25), goras.Verbose(0),
		goras.Callbacks(&cancelAt{epoch: 1, cancel: cancel}, cb))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit of a cancelled run: %v", err)
	}
	if paths, _ := saving.Checkpoints(dir); len(paths) != 1 || filepath.Base(paths[0]) != "ckpt-0002.safetensors" {
		t.Fatalf("after a run killed in epoch 2 the backups are %v, want ckpt-0002 alone (Keep 0 keeps one)", paths)
	}
	again := ckptModel(11)
	ckptCompile(t, again)
	cb = newBackup()
	h := ckptFit(t, again, x, y, 4, 0, cb)
	if cb.Err() != nil {
		t.Fatal(cb.Err())
	}
	if !slices.Equal(h.Epoch, []int{2, 3}) {
		t.Errorf("the restarted run trained epochs %v, want [2 3]", h.Epoch)
	}
	if d := sameState(again, straight); d != "" {
		t.Fatalf("restored run differs from the uninterrupted one: %s", d)
	}
	sameHistory(t, "BackupAndRestore History", cb.History(), hStraight, false)
	if paths, _ := saving.Checkpoints(dir); len(paths) != 0 {
		t.Errorf("backups left after training ended: %v", paths)
	}
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
