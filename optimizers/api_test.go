package optimizers

import (
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

func TestGet(t *testing.T) {
	want := map[string]struct {
		class string
		lr    float64
	}{
		"sgd": {"SGD", 0.01}, "Adam": {"Adam", 0.001}, "RMSPROP": {"RMSprop", 0.001}, "adagrad": {"Adagrad", 0.001},
		"adamw": {"AdamW", 0.001}, "nadam": {"Nadam", 0.001}, " adamax ": {"Adamax", 0.001},
		"adadelta": {"Adadelta", 0.001}, "Lion": {"Lion", 0.001}, "ftrl": {"Ftrl", 0.001},
	}
	for name, w := range want {
		o, err := Get(name)
		if err != nil {
			t.Fatalf("Get(%q): %v", name, err)
		}
		if o.Name() != w.class || o.LearningRate() != w.lr {
			t.Errorf("Get(%q) = %s lr %v, want %s lr %v", name, o.Name(), o.LearningRate(), w.class, w.lr)
		}
	}
	_, err := Get("adafactor")
	if err == nil || !strings.Contains(err.Error(), "known: Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Lion, Nadam, RMSprop, SGD") {
		t.Errorf("Get(adafactor) error = %v, want one listing the known names", err)
	}
}

// Config returns the Keras get_config keys with Keras defaults.
func TestConfigDefaults(t *testing.T) {
	base := map[string]any{"weight_decay": nil, "clipnorm": nil, "global_clipnorm": nil, "clipvalue": nil,
		"use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": nil, "loss_scale_factor": nil,
		"gradient_accumulation_steps": nil}
	cases := map[string]map[string]any{
		"sgd":      {"name": "sgd", "learning_rate": 0.01, "momentum": 0.0, "nesterov": false},
		"adam":     {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": false},
		"adamw":    {"name": "adamw", "learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": false},
		"rmsprop":  {"name": "rmsprop", "learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": false},
		"adagrad":  {"name": "adagrad", "learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
		"nadam":    {"name": "nadam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
		"adamax":   {"name": "adamax", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
		"adadelta": {"name": "adadelta", "learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
		"lion":     {"name": "lion", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99},
		"ftrl": {"name": "ftrl", "learning_rate": 0.001, "learning_rate_power": -0.5, "initial_accumulator_value": 0.1,
			"l1_regularization_strength": 0.0, "l2_regularization_strength": 0.0, "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0},
	}
	for name, extra := range cases {
		o, _ := Get(name)
		got := o.Config()
		want := map[string]any{}
		for k, v := range base {
			want[k] = v
		}
		for k, v := range extra {
			want[k] = v
		}
		if len(got) != len(want) {
			t.Errorf("%s: Config has %d keys, want %d: %v", name, len(got), len(want), got)
		}
		for k, v := range want {
			if gv, ok := got[k]; !ok || gv != v {
				t.Errorf("%s: Config[%q] = %v (present %v), want %v", name, k, gv, ok, v)
			}
		}
	}
}

func TestConfigSetFields(t *testing.T) {
	o, _ := NewSGD(LearningRate(0.1), Momentum(0.9), Nesterov(true), Clipnorm(2))
	c := o.Config()
	if c["learning_rate"] != 0.1 || c["momentum"] != 0.9 || c["nesterov"] != true || c["clipnorm"] != 2.0 {
		t.Errorf("Config = %v", c)
	}
	if err := o.SetLearningRate(0.05); err != nil {
		t.Fatal(err)
	}
	if o.Config()["learning_rate"] != 0.05 {
		t.Errorf("Config after SetLearningRate: %v", o.Config()["learning_rate"])
	}
	s := mustExp(0.1, 100, 0.96)
	a, _ := NewAdam(Schedule(s))
	lr, ok := a.Config()["learning_rate"].(map[string]any)
	if !ok || lr["class_name"] != "ExponentialDecay" || lr["module"] != "keras.optimizers.schedules" {
		t.Fatalf("schedule learning_rate config = %v", a.Config()["learning_rate"])
	}
	if cfg := lr["config"].(map[string]any); cfg["decay_rate"] != 0.96 || cfg["decay_steps"] != int64(100) {
		t.Errorf("schedule config = %v", cfg)
	}
}

func TestInvalidConfigs(t *testing.T) {
	s := mustExp(0.1, 10, 0.5)
	cases := []struct {
		name string
		mk   func() error
		want string
	}{
		{"negative lr", func() error { _, err := NewSGD(LearningRate(-1)); return err }, "learning_rate (LearningRate) must be a finite number >= 0, got -1"},
		{"momentum > 1", func() error { _, err := NewSGD(Momentum(1.5)); return err }, "momentum (Momentum) must be in [0, 1], got 1.5"},
		{"negative momentum", func() error { _, err := NewRMSprop(Momentum(-0.1)); return err }, "Momentum"},
		{"rho > 1", func() error { _, err := NewRMSprop(Rho(2)); return err }, "rho (Rho)"},
		{"beta1 = 1", func() error { _, err := NewAdam(Beta1(1)); return err }, "beta_1 (Beta1) must be in [0, 1), got 1"},
		{"beta2 < 0", func() error { _, err := NewNadam(Beta2(-0.5)); return err }, "Beta2"},
		{"negative epsilon", func() error { _, err := NewAdamax(Epsilon(-1)); return err }, "epsilon (Epsilon) must be a finite number >= 0, got -1"},
		{"negative accumulator", func() error { _, err := NewAdagrad(InitialAccumulatorValue(-1)); return err }, "InitialAccumulatorValue"},
		{"negative weight decay", func() error { _, err := NewAdamW(WeightDecay(-1)); return err }, "WeightDecay"},
		{"negative clipnorm", func() error { _, err := NewAdam(Clipnorm(-1)); return err }, "Clipnorm"},
		{"two clips", func() error { _, err := NewAdam(Clipnorm(1), Clipvalue(1)); return err }, "only one of"},
		{"two clips, one zero", func() error { _, err := NewAdam(Clipnorm(0), GlobalClipnorm(1)); return err }, "only one of"},
		{"lr and schedule", func() error { _, err := NewSGD(LearningRate(0.1), Schedule(s)); return err }, "give only one"},
		{"nil schedule", func() error { _, err := NewSGD(Schedule(nil)); return err }, "nil Schedule"},
		{"option not taken", func() error { _, err := NewAdam(Momentum(0.9)); return err },
			"Adam does not take the option Momentum (it takes LearningRate, Schedule, WeightDecay, Clipnorm, Clipvalue, GlobalClipnorm, UseEMA, EMAMomentum, EMAOverwriteFrequency, Beta1, Beta2, Epsilon, Amsgrad)"},
		{"lion beta1 0", func() error { _, err := NewLion(Beta1(0)); return err }, "Lion beta_1 (Beta1) must be in (0, 1], got 0"},
		{"ftrl positive power", func() error { _, err := NewFtrl(LearningRatePower(0.5)); return err }, "learning_rate_power (LearningRatePower) must be a finite number <= 0"},
		{"ftrl negative l1", func() error { _, err := NewFtrl(L1RegularizationStrength(-1)); return err }, "l1_regularization_strength (L1RegularizationStrength) must be a finite number >= 0"},
		{"adadelta rho > 1", func() error { _, err := NewAdadelta(Rho(1.5)); return err }, "Adadelta rho (Rho) must be in [0, 1]"},
		{"ema momentum > 1", func() error { _, err := NewSGD(UseEMA(true), EMAMomentum(1.5)); return err }, "ema_momentum (EMAMomentum) must be in [0, 1]"},
		{"negative ema frequency", func() error { _, err := NewAdam(EMAOverwriteFrequency(-2)); return err }, "EMAOverwriteFrequency) must be an integer >= 1"},
		{"nesterov on rmsprop", func() error { _, err := NewRMSprop(Nesterov(true)); return err }, "RMSprop does not take the option Nesterov"},
	}
	for _, c := range cases {
		err := c.mk()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

func TestSetLearningRate(t *testing.T) {
	o, _ := NewSGD()
	if err := o.SetLearningRate(0.5); err != nil || o.LearningRate() != 0.5 {
		t.Fatalf("SetLearningRate(0.5): err %v, rate %v", err, o.LearningRate())
	}
	if err := o.SetLearningRate(-1); err == nil {
		t.Error("SetLearningRate(-1) succeeded")
	}
	w := tensors([][]float64{{1}})
	_ = o.Build(w)
	o.Apply(w, tensors([][]float64{{1}}))
	if got := w[0].Data()[0]; got != 0.5 {
		t.Errorf("w = %v after a step at lr 0.5 from 1 with g 1, want 0.5", got)
	}
	s, _ := NewSGD(Schedule(mustExp(0.1, 10, 0.5)))
	if err := s.SetLearningRate(0.1); err == nil || !strings.Contains(err.Error(), "schedule") {
		t.Errorf("SetLearningRate with a schedule: %v", err)
	}
}

// With a schedule, step k uses the rate At(k): SGD from 0 with g = 1 at
// ExponentialDecay(0.1, 1, 0.5) moves by 0.1, 0.05, 0.025.
func TestScheduleDrivesRate(t *testing.T) {
	o, _ := NewSGD(Schedule(mustExp(0.1, 1, 0.5)))
	w := []*tensor.Tensor{tensor.New(1)}
	_ = o.Build(w)
	want := []float64{-0.1, -0.15, -0.175}
	for k, wk := range want {
		if got := o.LearningRate(); !closeTo(got, 0.1/float64(int(1)<<k), 1e-12) {
			t.Errorf("LearningRate before step %d = %v", k+1, got)
		}
		o.Apply(w, tensors([][]float64{{1}}))
		if got := float64(w[0].Data()[0]); !closeTo(got, wk, 1e-7) {
			t.Errorf("w after step %d = %v, want %v", k+1, got, wk)
		}
	}
}

func TestBuild(t *testing.T) {
	o, _ := NewAdam()
	w := []*tensor.Tensor{tensor.New(2), tensor.New(3)}
	if err := o.Build(w); err != nil {
		t.Fatal(err)
	}
	o.Apply(w, tensors([][]float64{{1, 1}, {1, 1, 1}}))
	before := o.Variables()[2].Value.Data()[0]
	if err := o.Build(w); err != nil {
		t.Fatalf("second Build with the same sizes: %v", err)
	}
	if o.Variables()[2].Value.Data()[0] != before || len(o.Variables()) != 6 {
		t.Error("second Build reset the state")
	}
	if err := o.Build([]*tensor.Tensor{tensor.New(4)}); err == nil {
		t.Error("Build with other sizes succeeded")
	}
	if err := (&SGD{}).Build([]*tensor.Tensor{nil}); err == nil {
		t.Error("Build with a nil variable succeeded")
	}
}

func TestApplyPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if r := recover(); r == nil {
				t.Errorf("%s did not panic", name)
			} else if !strings.HasPrefix(r.(string), "optimizers: ") {
				t.Errorf("%s panicked with %v", name, r)
			}
		}()
		f()
	}
	o, _ := NewSGD()
	w := []*tensor.Tensor{tensor.New(2)}
	mustPanic("Apply before Build", func() { o.Apply(w, w) })
	_ = o.Build(w)
	mustPanic("Apply with fewer grads", func() { o.Apply(w, nil) })
	mustPanic("Apply with wrong sizes", func() { o.Apply(w, []*tensor.Tensor{tensor.New(3)}) })
}

// Apply allocates nothing, for every optimizer and variant (clipping,
// weight decay, schedules included).
func TestApplyAllocs(t *testing.T) {
	sizes := []int{10, 33}
	for _, s := range specs {
		o := s.new(t)
		w := initWeights(sizes)
		if err := o.Build(w); err != nil {
			t.Fatal(err)
		}
		g := gradSeq(sizes, 0)
		if n := testing.AllocsPerRun(20, func() { o.Apply(w, g) }); n != 0 {
			t.Errorf("%s: %v allocations per Apply, want 0", s.name, n)
		}
	}
}
