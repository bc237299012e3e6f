package saving_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
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
