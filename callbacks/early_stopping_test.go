package callbacks_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// TestEarlyStoppingStopsWhereKerasDoes walks Keras's rule by hand for each
// case: wait grows every watched epoch, an improvement (current - minDelta
// beyond the best) resets it unless a baseline is not beaten, and training
// stops when wait ≥ patience at an epoch after the first.
func TestEarlyStoppingStopsWhereKerasDoes(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name    string
		cfg     callbacks.EarlyStoppingConfig
		values  []float64
		stopped int // StoppedEpoch; 0 = ran to the end
		run     int // epochs run
		best    float64
		bestEp  int
	}{
		// e1 improves, e2 does not: wait 1 ≥ 0.
		{"min patience 0", callbacks.EarlyStoppingConfig{Monitor: "loss"},
			[]float64{1, 0.9, 0.95, 0.8}, 2, 3, 0.9, 1},
		// e2, e3 do not improve on 0.9: wait 2 ≥ 2 at e3.
		{"min patience 2", callbacks.EarlyStoppingConfig{Monitor: "val_loss", Patience: 2},
			[]float64{1, 0.9, 0.95, 0.92, 0.85, 0.9}, 3, 4, 0.9, 1},
		// An improvement in between resets the wait.
		{"min patience 2 reset", callbacks.EarlyStoppingConfig{Patience: 2},
			[]float64{1, 0.9, 0.95, 0.85, 0.9, 0.91, 0.8}, 5, 6, 0.85, 3},
		// Max mode inferred from "val_accuracy": equal is no improvement.
		{"max auto", callbacks.EarlyStoppingConfig{Monitor: "val_accuracy", Patience: 1},
			[]float64{0.5, 0.6, 0.6, 0.7}, 2, 3, 0.6, 1},
		{"max explicit", callbacks.EarlyStoppingConfig{Monitor: "score", Mode: callbacks.Max, Patience: 1},
			[]float64{0.5, 0.6, 0.7, 0.65}, 3, 4, 0.7, 2},
		// min_delta 0.1: 0.95 is not below 1 - 0.1.
		{"min delta", callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 1, MinDelta: 0.1},
			[]float64{1, 0.95, 0.85}, 1, 2, 1, 0},
		// Its sign does not matter (Keras takes the absolute value).
		{"negative min delta", callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 1, MinDelta: -0.1},
			[]float64{1, 0.89, 0.85}, 2, 3, 0.89, 1},
		{"max min delta", callbacks.EarlyStoppingConfig{Monitor: "acc", Patience: 1, MinDelta: 0.1},
			[]float64{0.5, 0.65, 0.7}, 2, 3, 0.65, 1},
		// Baseline 0.5 is never beaten: e0 leaves wait at 1, e1 makes it 2.
		{"baseline", callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 2, Baseline: new(0.5)},
			[]float64{1, 1, 1, 1}, 1, 2, 1, 0},
		{"no baseline", callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 2},
			[]float64{1, 1, 1, 1}, 2, 3, 1, 0},
		// Improvements over the best never stop, baseline or not (Keras
		// returns before the patience check), until one fails to improve.
		{"baseline improving", callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 2, Baseline: new(0.5)},
			[]float64{1, 0.9, 0.8, 0.7, 0.7}, 4, 5, 0.7, 3},
		{"baseline beaten", callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 2, Baseline: new(0.5)},
			[]float64{0.4, 0.45, 0.3, 0.35, 0.36}, 4, 5, 0.3, 2},
		// Epochs 0 and 1 are a warm-up.
		{"start from epoch", callbacks.EarlyStoppingConfig{Monitor: "loss", StartFromEpoch: 2},
			[]float64{1, 2, 3, 4, 5}, 3, 4, 3, 2},
		{"without start", callbacks.EarlyStoppingConfig{Monitor: "loss"},
			[]float64{1, 2, 3, 4, 5}, 1, 2, 1, 0},
		// Never at epoch 0, even with patience 0 and no improvement.
		{"not at epoch 0", callbacks.EarlyStoppingConfig{Monitor: "loss"},
			[]float64{nan, nan}, 1, 2, math.Inf(1), 0},
		{"to the end", callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 3},
			[]float64{3, 2, 2.5, 2.4, 1}, 0, 5, 1, 4},
	}
	m := tinyModel(t, 0.1)
	for _, c := range cases {
		es, err := callbacks.NewEarlyStopping(c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		monitor := es.Config().Monitor
		run := drive(m, es, monitor, c.values)
		if run != c.run || es.StoppedEpoch() != c.stopped || es.Best() != c.best || es.BestEpoch() != c.bestEp {
			t.Errorf("%s: ran %d epochs, stopped at %d, best %v at %d; want %d, %d, %v at %d",
				c.name, run, es.StoppedEpoch(), es.Best(), es.BestEpoch(), c.run, c.stopped, c.best, c.bestEp)
		}
	}
}

func TestEarlyStoppingRestoresTheBestWeightsBitForBit(t *testing.T) {
	m := tinyModel(t, 0.1)
	setWeights(m, 101)
	best := weights(m) // the weights drive sets before epoch 1's end
	for _, c := range []struct {
		name   string
		values []float64
		run    int
	}{
		{"stopped early", []float64{1, 0.5, 0.7, 0.8, 0.4}, 4},
		// Keras 3 restores also when training runs to its end.
		{"ran to the end", []float64{1, 0.5, 0.7}, 3},
	} {
		es, _ := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 2, RestoreBestWeights: true})
		if run := drive(m, es, "loss", c.values); run != c.run {
			t.Errorf("%s: ran %d epochs, want %d", c.name, run, c.run)
		}
		if !sameBits(weights(m), best) {
			t.Errorf("%s: weights after training are not epoch 1's", c.name)
		}
	}
	// Without RestoreBestWeights the last epoch's weights stay.
	es, _ := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 3})
	drive(m, es, "loss", []float64{1, 0.5, 0.7})
	got := weights(m)
	setWeights(m, 102) // epoch 2's weights
	if !sameBits(got, weights(m)) {
		t.Error("weights changed after training without RestoreBestWeights")
	}
	// If nothing after the warm-up improves, the first watched epoch is
	// the best one.
	es, _ = callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: "loss", StartFromEpoch: 1, RestoreBestWeights: true})
	drive(m, es, "loss", []float64{0.1, 1, 2})
	if !sameBits(weights(m), best) || es.BestEpoch() != 1 {
		t.Errorf("best epoch %d, want the first watched epoch 1 and its weights", es.BestEpoch())
	}
}

func TestEarlyStoppingMessagesAndMissingMonitor(t *testing.T) {
	var out, warn bytes.Buffer
	es, _ := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: "loss", Verbose: 1,
		RestoreBestWeights: true, Output: &out, Warnings: &warn})
	m := tinyModel(t, 0.1)
	drive(m, es, "loss", []float64{1, 2})
	want := "Epoch 2: early stopping\nRestoring model weights from the end of the best epoch: 1.\n"
	if out.String() != want {
		t.Errorf("messages %q, want %q", out.String(), want)
	}
	// Keras warns and ignores epochs without the monitored value.
	es, _ = callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Warnings: &warn})
	if run := drive(m, es, "loss", []float64{1, 2, 3}); run != 3 || es.StoppedEpoch() != 0 {
		t.Errorf("ran %d epochs without val_loss in the logs, want all 3", run)
	}
	if !strings.Contains(warn.String(), `"val_loss" which is not available. Available metrics are: loss,other`) {
		t.Errorf("warning %q", warn.String())
	}
}

func TestMonitorConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  callbacks.EarlyStoppingConfig
		want string
	}{
		{callbacks.EarlyStoppingConfig{Monitor: "val_mystery"}, "set Mode to callbacks.Min or callbacks.Max"},
		{callbacks.EarlyStoppingConfig{Mode: "minimum"}, `Mode must be "auto", "min" or "max", got "minimum"`},
		{callbacks.EarlyStoppingConfig{Patience: -1}, "Patience must be ≥ 0"},
		{callbacks.EarlyStoppingConfig{StartFromEpoch: -2}, "StartFromEpoch must be ≥ 0"},
		{callbacks.EarlyStoppingConfig{MinDelta: math.NaN()}, "MinDelta must be a finite number"},
		{callbacks.EarlyStoppingConfig{Baseline: new(math.Inf(1))}, "Baseline must be a finite number"},
		{callbacks.EarlyStoppingConfig{Verbose: 2}, "Verbose must be 0"},
		{callbacks.EarlyStoppingConfig{Monitor: " loss"}, "not a metric name"},
	} {
		_, err := callbacks.NewEarlyStopping(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
	// Auto mode: the direction Keras 3 gives each metric.
	for name, want := range map[string]callbacks.Mode{
		"loss": callbacks.Min, "val_loss": callbacks.Min, "val_mae": callbacks.Min,
		"mean_squared_error": callbacks.Min, "val_categorical_crossentropy": callbacks.Min,
		"accuracy": callbacks.Max, "val_acc": callbacks.Max, "val_sparse_categorical_accuracy": callbacks.Max,
		"auc": callbacks.Max, "val_precision": callbacks.Max, "recall": callbacks.Max,
	} {
		es, err := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: name})
		if err != nil || es.Config().Mode != want {
			t.Errorf("%s: mode %v (%v), want %s", name, es.Config().Mode, err, want)
		}
	}
}

// TestEarlyStoppingInFit trains with SGD at rate 10, so high that it overshoots: the
// validation loss rises after the first epochs and EarlyStopping(patience 1)
// ends training at the first epoch that does not improve.
func TestEarlyStoppingInFit(t *testing.T) {
	x, y := blobs(120, 1)
	m := goras.NewSequential(layers.Input(4), layers.Dense(16, layers.WithActivation("relu")),
		layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(3)
	opt, _ := optimizers.NewSGD(optimizers.LearningRate(10))
	if err := m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	es, _ := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: "val_loss", Patience: 1})
	const epochs = 30
	h, err := m.Fit(context.Background(), x, y, goras.Epochs(epochs), goras.BatchSize(8),
		goras.ValidationSplit(0.25), goras.Verbose(0), goras.Warnings(io.Discard), goras.Callbacks(es))
	if err != nil {
		t.Fatal(err)
	}
	vl := h.History["val_loss"]
	stop := es.StoppedEpoch()
	t.Logf("val_loss %v, stopped at epoch %d", vl, stop)
	if stop == 0 || len(vl) != stop+1 || len(vl) >= epochs {
		t.Fatalf("stopped at epoch %d after %d epochs, want an early stop", stop, len(vl))
	}
	best := math.Inf(1)
	for _, v := range vl[:stop] {
		best = min(best, v)
	}
	if !(vl[stop] >= best) {
		t.Errorf("stopped at epoch %d with val_loss %v below the best %v", stop, vl[stop], best)
	}
	for e := 1; e < stop; e++ {
		if !(vl[e] < slices.Min(vl[:e])) {
			t.Errorf("epoch %d did not improve (%v) but training went on", e, vl[e])
		}
	}
}
