package optimizers

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// decode reads JSON as a model file is read: numbers as json.Number.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

// Every registered optimizer survives Config → JSON → FromConfig → Config,
// with defaults, with every hyper-parameter set (zeros included) and with a
// schedule.
func TestRoundTrip(t *testing.T) {
	cos, _ := schedules.NewCosineDecay(0, 100, schedules.WarmupTarget(0.01), schedules.WarmupSteps(10))
	cases := []spec{
		{kind: "sgd"}, {kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: true, clipnorm: 1, wd: 0.01},
		{kind: "sgd", zeroLR: true, zeroWD: true}, {kind: "sgd", sched: cos, gclip: 0.5},
		{kind: "adam"}, {kind: "adam", lr: 0.002, beta1: give(0), beta2: give(0.5), eps: give(0), amsgrad: true, clipval: 0.3},
		{kind: "adam", sched: mustExp(0.1, 10, 0.5)},
		{kind: "adamw"}, {kind: "adamw", zeroWD: true, lr: 0.01}, {kind: "adamw", wd: 0.1, amsgrad: true, sched: cos},
		{kind: "rmsprop"}, {kind: "rmsprop", rho: give(0), momentum: 0.5, eps: give(1e-3), centered: true},
		{kind: "adagrad"}, {kind: "adagrad", init: give(0), eps: give(0), lr: 1},
		{kind: "nadam"}, {kind: "nadam", beta1: give(0.5), beta2: give(0), clipnorm: 2},
		{kind: "adamax"}, {kind: "adamax", beta1: give(0), eps: give(1e-5), wd: 0.2},
		{kind: "adadelta"}, {kind: "adadelta", rho: give(0), eps: give(0), lr: 1, ema: true},
		{kind: "lion"}, {kind: "lion", beta1: give(1), beta2: give(0), lr: 3e-4, ema: true, emaM: give(0), emaEvery: 10},
		{kind: "ftrl"}, {kind: "ftrl", power: give(0), init: give(0), l1: give(0.1), l2: give(0.2), shrink: give(0.3), beta: give(-0.5)},
		{kind: "sgd", ema: true, emaM: give(0.9), emaEvery: 100},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		o := c.new(t)
		covered[o.Name()] = true
		b, err := json.Marshal(o.Config())
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromConfig(o.Name(), decode(t, string(b)))
		if err != nil {
			t.Errorf("%s: FromConfig(%s): %v", o.Name(), b, err)
			continue
		}
		if !reflect.DeepEqual(back.Config(), o.Config()) {
			t.Errorf("%s: config %v came back as %v", o.Name(), o.Config(), back.Config())
		}
		if back.Name() != o.Name() || back.LearningRate() != o.LearningRate() {
			t.Errorf("%s: came back as %s at rate %v, want rate %v", o.Name(), back.Name(), back.LearningRate(), o.LearningRate())
		}
	}
	for _, n := range registry.ClassNames() {
		if registry.IsBuiltin(n) && !covered[n] {
			t.Errorf("registered optimizer %s has no round-trip case", n)
		}
	}
}

// Configs as Keras 3 writes them (optimizer.get_config(), then
// json.dumps; Keras writes a fixed rate as the float32 variable's value)
// parse, and the optimizer steps as Keras's would.
func TestKerasConfigs(t *testing.T) {
	base := `"weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null`
	cases := []struct {
		class, config string
		// w after one step from w = 1 with g = 0.5, by Keras's formula
		want float64
	}{
		{"SGD", `{"name": "SGD", "learning_rate": 0.009999999776482582, ` + base + `, "momentum": 0.0, "nesterov": false}`, 1 - 0.009999999776482582*0.5},
		{"SGD", `{"name": "SGD", "learning_rate": 0.10000000149011612, ` + base + `, "momentum": 0.9, "nesterov": true}`, 1 + 0.9*(-0.05) - 0.05},
		// Adam step 1: m = 0.05, v = 0.00025, α = lr·sqrt(0.001)/0.1, w -= α·m/(sqrt(v)+ε)
		{"Adam", `{"name": "adam", "learning_rate": 0.0010000000474974513, ` + base + `, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}`,
			1 - 0.001*0.31622776601683794*0.05/(0.015811388300841896+1e-7)},
		// Adam with beta_1 = 0: m = g, α = lr·sqrt(0.001).
		{"Adam", `{"name": "adam", "learning_rate": 0.001, ` + base + `, "beta_1": 0.0, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}`,
			1 - 0.001*0.031622776601683794*0.5/(0.015811388300841896+1e-7)},
		// AdamW: w -= w·0.004·lr first.
		{"AdamW", `{"name": "adamw", "learning_rate": 0.001, "weight_decay": 0.004, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}`,
			1 - 0.004*0.001 - 0.001*0.31622776601683794*0.05/(0.015811388300841896+1e-7)},
		// RMSprop with rho = 0: v = g², w -= lr·g/sqrt(v+ε).
		{"RMSprop", `{"name": "rmsprop", "learning_rate": 0.001, ` + base + `, "rho": 0.0, "momentum": 0.0, "epsilon": 1e-07, "centered": false}`,
			1 - 0.001*0.5/0.5000001},
		// Adagrad with initial_accumulator_value = 0: acc = g².
		{"Adagrad", `{"name": "adagrad", "learning_rate": 0.001, ` + base + `, "initial_accumulator_value": 0.0, "epsilon": 1e-07}`,
			1 - 0.001*0.5/0.5000001},
		// Adamax: m = 0.05, u = 0.5, w -= lr·m/((1-β1)(u+ε)).
		{"Adamax", `{"name": "adamax", "learning_rate": 0.001, ` + base + `, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07}`,
			1 - 0.001*0.05/(0.1*(0.5+1e-7))},
		// Nadam step 1 (see Nadam's doc comment): u1 = 0.9(1-0.5·0.96), u2 = 0.9(1-0.5·0.96²).
		{"Nadam", `{"name": "nadam", "learning_rate": 0.001, ` + base + `, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07}`,
			nadamStep1(0.001, 0.5)},
		// Lower case and a schedule, as Keras serializes it.
		{"sgd", `{"learning_rate": {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": false, "name": "ExponentialDecay"}, "registered_name": null}}`,
			1 - 0.1*0.5},
		{"SGD", `{"learning_rate": 0, "momentum": 0.9}`, 1},
		// Adadelta: a = 0.05·0.25, Δ = -sqrt(ε)·0.5/sqrt(a+ε), w += lr·Δ.
		{"Adadelta", `{"name": "adadelta", "learning_rate": 1.0, ` + base + `, "rho": 0.95, "epsilon": 1e-07}`,
			1 - math.Sqrt(1e-7)*0.5/math.Sqrt(0.0125+1e-7)},
		// Lion: w -= lr·sign(0.1·0.5).
		{"Lion", `{"name": "lion", "learning_rate": 0.0010000000474974513, ` + base + `, "beta_1": 0.9, "beta_2": 0.99}`,
			1 - 0.0010000000474974513},
		// Ftrl: z = 0.5 - (sqrt(0.35)-sqrt(0.1))/lr, w = -z/(sqrt(0.35)/lr).
		{"Ftrl", `{"name": "ftrl", "learning_rate": 0.1, ` + base + `, "learning_rate_power": -0.5, "initial_accumulator_value": 0.1, "l1_regularization_strength": 0.0, "l2_regularization_strength": 0.0, "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0}`,
			-(0.5 - (math.Sqrt(0.35)-math.Sqrt(0.1))/0.1) / (math.Sqrt(0.35) / 0.1)},
		// use_ema with overwriting every step: the average of the first step
		// is the weight itself.
		{"SGD", `{"learning_rate": 0.1, "use_ema": true, "ema_momentum": 0.99, "ema_overwrite_frequency": 1}`, 0.95},
	}
	for _, c := range cases {
		o, err := FromConfig(c.class, decode(t, c.config))
		if err != nil {
			t.Errorf("%s %s: %v", c.class, c.config, err)
			continue
		}
		w := []*tensor.Tensor{tensor.Full(1, 1)}
		if err := o.Build(w); err != nil {
			t.Fatal(err)
		}
		o.Apply(w, []*tensor.Tensor{tensor.Full(0.5, 1)})
		if got := float64(w[0].Data()[0]); !closeTo(got, c.want, 1e-7) {
			t.Errorf("%s %s: w = %.9g after one step, want %.9g", c.class, c.config, got, c.want)
		}
	}
}

func nadamStep1(lr, g float64) float64 {
	u1 := 0.9 * (1 - 0.5*0.96)
	u2 := 0.9 * (1 - 0.5*0.96*0.96)
	m, v := 0.1*g, 0.001*g*g
	mhat := u2*m/(1-u1*u2) + (1-u1)*g/(1-u1)
	vhat := v / 0.001
	return 1 - lr*mhat/(math.Sqrt(vhat)+1e-7)
}

func TestFromConfigErrors(t *testing.T) {
	cases := []struct{ class, config, want string }{
		{"Adafactor", `{}`, `unknown optimizer "Adafactor"; known: Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Lion, Nadam, RMSprop, SGD`},
		{"Adam", `{"momentum": 0.9}`, `optimizers: Adam config: unknown key(s) momentum; accepted: amsgrad, beta_1, beta_2, clipnorm`},
		{"SGD", `{"lr": 0.1}`, `unknown key(s) lr`},
		{"SGD", `{"decay": 1e-6}`, `unknown key(s) decay`},
		{"SGD", `{"learning_rate": "fast"}`, `"learning_rate" must be a number, got "fast"`},
		{"SGD", `{"learning_rate": {"class_name": "StepDecay", "config": {}}}`, `"learning_rate": schedules: unknown learning-rate schedule "StepDecay"`},
		{"SGD", `{"learning_rate": {"class_name": "CosineDecay", "config": {"decay_steps": 10}}}`, `missing "initial_learning_rate"`},
		{"SGD", `{"learning_rate": {"config": {}}}`, `"learning_rate" must be a number or a schedule`},
		{"SGD", `{"nesterov": 1}`, `"nesterov" must be true or false, got 1`},
		{"Adam", `{"beta_1": null}`, `"beta_1" must be a number, got null`},
		{"Adam", `{"beta_1": 1.0}`, `beta_1 (Beta1) must be in [0, 1), got 1`},
		{"Adam", `{"use_ema": 1}`, `"use_ema" must be true or false, got 1`},
		{"Adam", `{"use_ema": true, "ema_overwrite_frequency": 2.5}`, `"ema_overwrite_frequency" must be an integer, got 2.5`},
		{"Adam", `{"use_ema": true, "ema_overwrite_frequency": -1}`, `"ema_overwrite_frequency" must be an integer >= 1 or null, got -1`},
		{"Lion", `{"beta_1": 0}`, `Lion beta_1 (Beta1) must be in (0, 1]`},
		{"Ftrl", `{"rho": 0.9}`, `optimizers: Ftrl config: unknown key(s) rho`},
		{"Adam", `{"gradient_accumulation_steps": 4}`, `"gradient_accumulation_steps" = 4 is not supported`},
		{"Adam", `{"clipnorm": 1, "clipvalue": 0.5}`, `only one of Clipnorm, Clipvalue and GlobalClipnorm`},
		{"Adam", `{"name": 7}`, `"name" must be a string, got 7`},
	}
	for _, c := range cases {
		_, err := FromConfig(c.class, decode(t, c.config))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromConfig(%s, %s): error %v, want one containing %q", c.class, c.config, err, c.want)
		}
	}
}

// Explicit zeros in a config stay zeros (they used to become defaults).
func TestConfigZeros(t *testing.T) {
	for class, zero := range map[string]string{
		"SGD": "learning_rate", "Adam": "beta_1", "RMSprop": "rho", "Adagrad": "initial_accumulator_value",
		"AdamW": "weight_decay", "Nadam": "epsilon", "Adamax": "beta_2",
	} {
		o, err := FromConfig(class, map[string]any{zero: 0.0})
		if err != nil {
			t.Fatalf("%s with %s 0: %v", class, zero, err)
		}
		if got := o.Config()[zero]; got != 0.0 {
			t.Errorf("%s with %s 0: Config()[%q] = %#v, want 0.0", class, zero, zero, got)
		}
	}
}

var registerOnce sync.Once

// A user's optimizer goes through the same registry as Keras's.
func TestRegister(t *testing.T) {
	registerOnce.Do(func() {
		Register("SignSGD", func(config map[string]any) (Optimizer, error) {
			return NewSGD(LearningRate(config["learning_rate"].(float64)))
		})
	})
	o, err := FromConfig("SignSGD", map[string]any{"learning_rate": 0.5})
	if err != nil || o.LearningRate() != 0.5 {
		t.Fatalf("FromConfig(SignSGD) = %v, %v", o, err)
	}
	if n := Names(); !strings.Contains(strings.Join(n, ","), "signsgd") {
		t.Errorf("Names() = %v, want signsgd among them", n)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "Register called twice") {
			t.Errorf("registering Adam again: recovered %v", r)
		}
	}()
	Register("adam", func(map[string]any) (Optimizer, error) { return nil, nil })
}

// FromConfig reads numbers decoded as float64 (plain json.Unmarshal) too.
func TestFromConfigFloat64(t *testing.T) {
	var m map[string]any
	if err := json.NewDecoder(bytes.NewReader([]byte(`{"learning_rate": 0.5, "momentum": 0.25}`))).Decode(&m); err != nil {
		t.Fatal(err)
	}
	o, err := FromConfig("SGD", m)
	if err != nil || o.LearningRate() != 0.5 || o.Config()["momentum"] != 0.25 {
		t.Errorf("FromConfig = %v, %v", o, err)
	}
}

// TestLionNaNGradient: a NaN gradient makes the weight NaN, as Keras's
// w - lr·sign(u) does, where it would otherwise stop moving unseen; the
// weights beside it move by ±lr (a length past the SIMD width, so that
// both the kernel and the Go loop are held to it).
func TestLionNaNGradient(t *testing.T) {
	o, err := NewLion(LearningRate(0.5))
	if err != nil {
		t.Fatal(err)
	}
	const n = 19
	w, g := tensor.Full(1, n), tensor.Full(2, n)
	for _, i := range []int{3, 17} {
		g.Data()[i] = float32(math.NaN())
	}
	g.Data()[5] = -2
	g.Data()[6] = 0
	if err := o.Build([]*tensor.Tensor{w}); err != nil {
		t.Fatal(err)
	}
	o.Apply([]*tensor.Tensor{w}, []*tensor.Tensor{g})
	for i, v := range w.Data() {
		want := float32(0.5)
		switch i {
		case 3, 17:
			want = float32(math.NaN())
		case 5:
			want = 1.5
		case 6:
			want = 1
		}
		if !(v == want || (v != v && want != want)) {
			t.Errorf("w[%d] = %v after one step, want %v", i, v, want)
		}
	}
}
