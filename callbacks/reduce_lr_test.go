package callbacks_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/optimizers/schedules"
)

// plateau drives r over values and returns the rate after each epoch and
// the "learning_rate" logged at each epoch's end.
func plateau(t *testing.T, r *callbacks.ReduceLROnPlateau, lr0 float64, name string, values []float64) (rates, logged []float64) {
	t.Helper()
	m := tinyModel(t, lr0)
	r.SetModel(m)
	r.OnTrainBegin(goras.Logs{})
	for e, v := range values {
		logs := goras.Logs{name: v}
		r.OnEpochEnd(e, logs)
		rates = append(rates, m.Optimizer().LearningRate())
		logged = append(logged, logs["learning_rate"])
	}
	return rates, logged
}

// TestReduceLROnPlateauReducesWhereKerasDoes: the expected rates follow
// Keras's rule by hand (factor 0.5 keeps the numbers exact).
func TestReduceLROnPlateauReducesWhereKerasDoes(t *testing.T) {
	flat := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	cases := []struct {
		name   string
		cfg    callbacks.ReduceLROnPlateauConfig
		mon    string
		values []float64
		rates  []float64
	}{
		// Patience 2: cuts at e2 (wait 2), e4, e6; at e6 max(0.125, 0.2)
		// = 0.2; from then on lr 0.2 is not above float32(0.2), no cut.
		{"cooldown 0", callbacks.ReduceLROnPlateauConfig{Monitor: "loss", Factor: 0.5, Patience: 2, MinLR: 0.2},
			"loss", flat, []float64{1, 1, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2}},
		// Cooldown 2: after the cut at e2, e3 and e4 decrement the
		// cooldown (e4 ends it and counts as wait 1), e5 cuts, then e8.
		{"cooldown 2", callbacks.ReduceLROnPlateauConfig{Monitor: "loss", Factor: 0.5, Patience: 2, Cooldown: 2, MinLR: 0.2},
			"loss", flat, []float64{1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2}},
		// Improvements reset the wait; a change below MinDelta 1e-4 is not
		// one: 0.80005 vs 0.8.
		{"improvements", callbacks.ReduceLROnPlateauConfig{Monitor: "val_loss", Factor: 0.5, Patience: 2},
			"val_loss", []float64{1, 0.9, 0.8, 0.80005, 0.7, 0.75, 0.8}, []float64{1, 1, 1, 1, 1, 1, 0.5}},
		// With MinDelta 0 every tiny fall is an improvement; with the
		// default 1e-4 none of them is.
		{"min delta 0", callbacks.ReduceLROnPlateauConfig{Monitor: "val_loss", Factor: 0.5, Patience: 2, MinDelta: new(0.0)},
			"val_loss", []float64{1, 0.99999, 0.99998, 0.99997, 0.99997, 0.99997}, []float64{1, 1, 1, 1, 1, 0.5}},
		{"min delta default", callbacks.ReduceLROnPlateauConfig{Monitor: "val_loss", Factor: 0.5, Patience: 2},
			"val_loss", []float64{1, 0.99999, 0.99998, 0.99997, 0.99997, 0.99997}, []float64{1, 1, 0.5, 0.5, 0.25, 0.25}},
		// Max mode from the name; Patience 1 cuts at the first flat epoch.
		{"max", callbacks.ReduceLROnPlateauConfig{Monitor: "val_accuracy", Factor: 0.5, Patience: 1},
			"val_accuracy", []float64{0.5, 0.6, 0.6, 0.7, 0.65}, []float64{1, 1, 0.5, 0.5, 0.25}},
		// Defaults: factor 0.1, patience 10.
		{"defaults", callbacks.ReduceLROnPlateauConfig{},
			"val_loss", []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.1, 0.1}},
	}
	for _, c := range cases {
		r, err := callbacks.NewReduceLROnPlateau(c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rates, logged := plateau(t, r, 1, c.mon, c.values)
		if fmt.Sprint(rates) != fmt.Sprint(c.rates) {
			t.Errorf("%s: rates %v, want %v", c.name, rates, c.rates)
		}
		// The log holds the rate the epoch trained with: before its cut.
		want := append([]float64{1}, c.rates[:len(c.rates)-1]...)
		if fmt.Sprint(logged) != fmt.Sprint(want) {
			t.Errorf("%s: logged learning_rate %v, want %v", c.name, logged, want)
		}
	}
	// new = max(lr·factor, min_lr) in float64: 0.1·0.1 rounds to
	// 0.010000000000000002, as in Python.
	r, _ := callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{Patience: 1})
	if rates, _ := plateau(t, r, 0.1, "val_loss", []float64{1, 1}); rates[1] != 0.010000000000000002 {
		t.Errorf("rate %v, want 0.1·0.1 = 0.010000000000000002", rates[1])
	}
}

func TestReduceLROnPlateauConfig(t *testing.T) {
	r, err := callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Config()
	if c.Monitor != "val_loss" || c.Factor != 0.1 || c.Patience != 10 || *c.MinDelta != 1e-4 || c.Cooldown != 0 || c.MinLR != 0 || c.Mode != callbacks.Min {
		t.Errorf("defaults %+v, want Keras's val_loss/0.1/10/1e-4/0/0/min", c)
	}
	for _, c := range []struct {
		cfg  callbacks.ReduceLROnPlateauConfig
		want string
	}{
		{callbacks.ReduceLROnPlateauConfig{Factor: 1}, "Factor must be in (0, 1)"},
		{callbacks.ReduceLROnPlateauConfig{Factor: -0.5}, "Factor must be in (0, 1)"},
		{callbacks.ReduceLROnPlateauConfig{Patience: -1}, "Patience must be ≥ 1"},
		{callbacks.ReduceLROnPlateauConfig{Cooldown: -1}, "Cooldown must be ≥ 0"},
		{callbacks.ReduceLROnPlateauConfig{MinLR: -1e-3}, "MinLR must be"},
		{callbacks.ReduceLROnPlateauConfig{Monitor: "weirdness"}, "cannot tell whether"},
	} {
		if _, err := callbacks.NewReduceLROnPlateau(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
	var out bytes.Buffer
	r, _ = callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{Monitor: "loss", Factor: 0.5, Patience: 1, Verbose: 1, Output: &out})
	plateau(t, r, 1, "loss", []float64{1, 1})
	if want := "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.5.\n"; out.String() != want {
		t.Errorf("message %q, want %q", out.String(), want)
	}
}

// mustPanic runs f and returns its panic message.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	t.Fatal("no panic")
	return ""
}

func TestRateCallbacksNeedASettableRate(t *testing.T) {
	sched, err := schedules.NewExponentialDecay(0.1, 10, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := optimizers.NewSGD(optimizers.Schedule(sched))
	m := goras.NewSequential(layers.Input(3), layers.Dense(2))
	if err := m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.MeanSquaredError{}}); err != nil {
		t.Fatal(err)
	}
	r, _ := callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{})
	r.SetModel(m)
	if msg := mustPanic(t, func() { r.OnTrainBegin(nil) }); !strings.Contains(msg, "callbacks: ReduceLROnPlateau cannot change the learning rate") {
		t.Errorf("panic %q", msg)
	}
	s, _ := callbacks.NewLearningRateScheduler(func(int, float64) float64 { return 0.1 }, callbacks.LearningRateSchedulerConfig{})
	s.SetModel(goras.NewSequential(layers.Input(3), layers.Dense(2)))
	if msg := mustPanic(t, func() { s.OnTrainBegin(nil) }); !strings.Contains(msg, "not compiled") {
		t.Errorf("panic %q", msg)
	}
}
