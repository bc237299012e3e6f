package main

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// classes lists the Keras class names of a model's layers, in order.
func classes(m *goras.Model) []string {
	var out []string
	for _, l := range m.Layers() {
		out = append(out, l.ClassName())
	}
	return out
}

// dropoutRates lists the rates of a model's Dropout layers, in order.
func dropoutRates(m *goras.Model) []float64 {
	var out []float64
	for _, l := range m.Layers() {
		if d, ok := l.(*layers.DropoutLayer); ok {
			out = append(out, d.Rate())
		}
	}
	return out
}

// --dropout puts one Dropout in front of each Dense layer that reads
// features (never the raw pixels), replacing one already there; 0 removes
// them. The parameter count does not change.
func TestDropoutFlag(t *testing.T) {
	cases := []struct {
		args    []string
		classes string
		rates   []float64
		params  int
	}{
		{[]string{"--model", "mlp"}, "Flatten Dense Dense", nil, 39760},
		{[]string{"--model", "mlp", "--dropout", "0.2"}, "Flatten Dense Dropout Dense", []float64{0.2}, 39760},
		{[]string{"--model", "lenet5", "--dropout", "0.5"},
			"Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dropout Dense Dropout Dense Dropout Dense", []float64{0.5, 0.5, 0.5}, 61706},
		{[]string{"--model", "keras-convnet"}, "Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dropout Dense", []float64{0.5}, 34826},
		{[]string{"--model", "keras-convnet", "--dropout", "0.25"}, "Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dropout Dense", []float64{0.25}, 34826},
		{[]string{"--model", "keras-convnet", "--dropout", "0"}, "Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dense", nil, 34826},
	}
	for _, c := range cases {
		r := resolveArgs(t, c.args...)
		if got := strings.Join(classes(r.model), " "); got != c.classes {
			t.Errorf("%v: layers %s, want %s", c.args, got, c.classes)
		}
		if got := dropoutRates(r.model); !slices.Equal(got, c.rates) {
			t.Errorf("%v: dropout rates %v, want %v", c.args, got, c.rates)
		}
		if got := r.model.CountParams(); got != c.params {
			t.Errorf("%v: %d params, want %d", c.args, got, c.params)
		}
	}
	// summary shows the same network as train builds.
	s := cli(t, "summary", "--model", "lenet5", "--dropout", "0.5")
	if s.code != 0 || strings.Count(s.stdout, "(Dropout)") != 3 || !strings.Contains(s.stdout, "dropout_2 (Dropout)") ||
		!strings.Contains(s.stdout, "Total params: 61,706") {
		t.Errorf("goras summary --model lenet5 --dropout 0.5: exit %d\n%s%s", s.code, s.stdout, s.stderr)
	}
}

// --l2 puts L2(FACTOR) on the kernel of every Dense and Conv2D layer of
// every model, and the penalty FACTOR·Σw² joins the loss: the evaluated loss
// grows by exactly that much, computed here in float64 from the weights.
func TestL2Flag(t *testing.T) {
	for _, name := range applications.Names() {
		plain := resolveArgs(t, "--model", name)
		reg := resolveArgs(t, "--model", name, "--l2", "0.01")
		var kernels int
		var penalty float64
		for i, l := range reg.model.Layers() {
			cfg := l.Config()
			switch l.(type) {
			case *layers.DenseLayer, *layers.Conv2DLayer:
				kernels++
				kr, _ := cfg["kernel_regularizer"].(map[string]any)
				kc, _ := kr["config"].(map[string]any)
				if kr["class_name"] != "L2" || kc["l2"] != 0.01 || cfg["bias_regularizer"] != nil {
					t.Errorf("%s layer %s: kernel_regularizer %v, bias_regularizer %v; want L2(0.01) on the kernel only",
						name, l.Name(), cfg["kernel_regularizer"], cfg["bias_regularizer"])
				}
			}
			// Everything else about the layer is as the model defines it.
			want := plain.model.Layers()[i].Config()
			delete(cfg, "kernel_regularizer")
			delete(want, "kernel_regularizer")
			if !configEqual(cfg, want) {
				t.Errorf("%s layer %d: config %v, want %v", name, i, cfg, want)
			}
		}
		for _, p := range reg.model.Params() {
			if strings.HasSuffix(p.Name, "/kernel") {
				for _, w := range p.Value.Data() {
					penalty += 0.01 * float64(w) * float64(w)
				}
			}
		}
		if kernels == 0 {
			t.Fatalf("%s: no Dense or Conv2D layer", name)
		}
		// Same seed, same initial weights: the losses differ by the penalty.
		x, y := tinyBatch(t, plain.model, plain.loss)
		lp, err := plain.model.Evaluate(x, y, goras.Verbose(0), goras.Output(io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		lr, err := reg.model.Evaluate(x, y, goras.Verbose(0), goras.Output(io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		if got := lr["loss"] - lp["loss"]; math.Abs(got-penalty) > 1e-4*penalty {
			t.Errorf("%s --l2 0.01: loss grew by %.6g, want the penalty %.6g", name, got, penalty)
		}
	}
}

// configEqual compares two layer configs by their printed form (fmt sorts
// map keys), which is enough for the numbers, strings and nested maps a
// config holds.
func configEqual(a, b map[string]any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// tinyBatch is 8 synthetic images with labels, shaped for m and loss.
func tinyBatch(t *testing.T, m *goras.Model, loss losses.Loss) (x, y goras.Data) {
	t.Helper()
	im := &mnist.Images{N: 8, Rows: 28, Cols: 28, Pixels: make([]uint8, 8*28*28)}
	for i := range im.Pixels {
		im.Pixels[i] = uint8(i * 37 % 256)
	}
	x, y, err := applications.Data(mnist.Dataset{X: im, Y: mnist.Labels{0, 1, 2, 3, 4, 5, 6, 7}}, m, loss)
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

// The images reach Fit as uint8 pixels (goras.Data), with a channel axis for
// convnets, not as a float32 copy four times their size.
func TestPrepareKeepsPixels(t *testing.T) {
	for _, c := range []struct {
		model string
		shape []int
	}{{"mlp", []int{8, 28, 28}}, {"lenet5", []int{8, 28, 28, 1}}, {"keras-convnet", []int{8, 28, 28, 1}}} {
		r := resolveArgs(t, "--model", c.model)
		x, y := tinyBatch(t, r.model, r.loss)
		if _, ok := x.(*mnist.Images); !ok || !slices.Equal(x.Shape(), c.shape) {
			t.Errorf("%s: x is %T of shape %v, want *mnist.Images of shape %v", c.model, x, x.Shape(), c.shape)
		}
		if !slices.Equal(y.Shape(), []int{8, 10}) {
			t.Errorf("%s: y shape %v, want one-hot (8, 10)", c.model, y.Shape())
		}
	}
	r := resolveArgs(t, "--model", "lenet5", "--loss", "sparse_categorical_crossentropy")
	if _, y := tinyBatch(t, r.model, r.loss); !slices.Equal(y.Shape(), []int{8}) {
		t.Errorf("sparse loss: y shape %v, want class indices (8)", y.Shape())
	}
}

// Every optimizer the library knows trains through --optimizer, with its
// Keras class and default rate, with or without a schedule.
func TestEveryOptimizer(t *testing.T) {
	want := map[string]string{"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad",
		"adamw": "AdamW", "nadam": "Nadam", "adamax": "Adamax", "adadelta": "Adadelta", "ftrl": "Ftrl", "lion": "Lion"}
	for _, name := range optimizers.Names() {
		def, _ := optimizers.Get(name)
		for _, extra := range [][]string{nil, {"--schedule", "cosine"}} {
			r := resolveArgs(t, append([]string{"--model", "lenet5", "--optimizer", name}, extra...)...)
			if r.optimizer.Name() != want[name] || r.optimizer.LearningRate() != def.LearningRate() {
				t.Errorf("--optimizer %s %v: %s at rate %g, want %s at %g", name, extra, r.optimizer.Name(), r.optimizer.LearningRate(), want[name], def.LearningRate())
			}
			// One step on a tiny batch moves the weights and keeps them finite.
			x, y := tinyBatch(t, r.model, r.loss)
			before := slices.Clone(r.model.Params()[0].Value.Data())
			loss, err := r.model.TrainOnBatch(gather(x), gather(y))
			if err != nil || math.IsNaN(loss) || slices.Equal(before, r.model.Params()[0].Value.Data()) {
				t.Errorf("--optimizer %s %v: one step gave loss %v, err %v, weights moved: %v", name, extra, loss, err,
					!slices.Equal(before, r.model.Params()[0].Value.Data()))
			}
		}
	}
}

// gather copies all of d into a tensor.
func gather(d goras.Data) *tensor.Tensor {
	t := tensor.New(d.Shape()...)
	rows := make([]int, d.Shape()[0])
	for i := range rows {
		rows[i] = i
	}
	d.Gather(t.Data(), rows)
	return t
}

// The schedules' Keras configs, with their defaults sized to the run:
// lenet5 takes ⌈60000/128⌉ = 469 steps an epoch, 4,690 in 10 epochs; with
// --limit 6000 --batch-size 100, 60 an epoch.
func TestScheduleFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		// lenet5's own recipe: cosine decay over the run; "none" turns it off.
		{nil, "Adam(learning_rate=CosineDecay(initial_learning_rate=0.001, decay_steps=4690, alpha=0, warmup_steps=0))"},
		{[]string{"--schedule", "none"}, "Adam(learning_rate=0.001)"},
		{[]string{"--optimizer", "rmsprop"}, "RMSprop(learning_rate=0.001)"}, // not the model's optimizer: no schedule
		{[]string{"--schedule", "exponential"},
			"Adam(learning_rate=ExponentialDecay(initial_learning_rate=0.001, decay_steps=469, decay_rate=0.9, staircase=false))"},
		{[]string{"--schedule", "Exponential", "--decay-steps", "1000", "--decay-rate", "0.5", "--staircase", "--learning-rate", "0.01"},
			"Adam(learning_rate=ExponentialDecay(initial_learning_rate=0.01, decay_steps=1000, decay_rate=0.5, staircase=true))"},
		{[]string{"--schedule", "cosine"},
			"Adam(learning_rate=CosineDecay(initial_learning_rate=0.001, decay_steps=4690, alpha=0, warmup_steps=0))"},
		{[]string{"--schedule", "cosine", "--warmup-steps", "500", "--alpha", "0.1"},
			"Adam(learning_rate=CosineDecay(initial_learning_rate=0, decay_steps=4190, alpha=0.1, warmup_target=0.001, warmup_steps=500))"},
		{[]string{"--schedule", "cosine", "--limit", "6000", "--batch-size", "100", "--epochs", "2"},
			"Adam(learning_rate=CosineDecay(initial_learning_rate=0.001, decay_steps=120, alpha=0, warmup_steps=0))"},
		{[]string{"--schedule", "piecewise"},
			"Adam(learning_rate=PiecewiseConstantDecay(boundaries=[2345 3517], values=[0.001 0.0001 1e-05]))"},
		{[]string{"--schedule", "piecewise", "--boundaries", "100, 200,300", "--decay-rate", "0.5", "--optimizer", "sgd", "--momentum", "0.9"},
			"SGD(learning_rate=PiecewiseConstantDecay(boundaries=[100 200 300], values=[0.01 0.005 0.0025 0.00125]), momentum=0.9, nesterov=false)"},
	}
	for _, c := range cases {
		r := resolveArgs(t, append([]string{"--model", "lenet5"}, c.args...)...)
		if got := describeOptimizer(r.optimizer); got != c.want {
			t.Errorf("%v:\n got %s\nwant %s", c.args, got, c.want)
		}
	}
	// The schedule drives the steps: ExponentialDecay(0.01, 2 steps, 0.5)
	// halves the rate every two steps, 0.01 · 0.5^(3/2) after three.
	cmd, f := newTrainCmdFlags()
	if err := cmd.ParseFlags([]string{"--optimizer", "sgd", "--learning-rate", "0.01",
		"--schedule", "exponential", "--decay-steps", "2", "--decay-rate", "0.5"}); err != nil {
		t.Fatal(err)
	}
	mlp, err := getModel("mlp")
	if err != nil {
		t.Fatal(err)
	}
	opt, err := f.newOptimizer(mlp, cmd.Flags().Changed, 600, 6000)
	if err != nil {
		t.Fatal(err)
	}
	w := tensor.New(2)
	if err := opt.Build([]*tensor.Tensor{w}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		opt.Apply([]*tensor.Tensor{w}, []*tensor.Tensor{tensor.Full(1, 2)})
	}
	if got, want := opt.LearningRate(), 0.01*math.Pow(0.5, 1.5); math.Abs(got-want) > 1e-15 {
		t.Errorf("rate after 3 steps %v, want %v", got, want)
	}
	// Plain SGD steps of 0.01, 0.01·0.5^½, 0.005 on a gradient of 1.
	if got, want := w.Data()[0], -float32(0.01+0.01*math.Sqrt(0.5)+0.005); math.Abs(float64(got-want)) > 1e-7 {
		t.Errorf("weight after 3 steps %v, want %v", got, want)
	}
}

// --early-stopping and --reduce-lr-on-plateau add Keras's callbacks on
// val_loss.
func TestCallbackFlags(t *testing.T) {
	r := resolveArgs(t, "--model", "lenet5", "--early-stopping", "3", "--reduce-lr-on-plateau", "2")
	cbs, err := r.callbacks(1, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cbs) != 2 {
		t.Fatalf("%d callbacks, want 2", len(cbs))
	}
	if _, ok := cbs[0].(*callbacks.EarlyStopping); !ok {
		t.Errorf("callback 0 is %T, want *callbacks.EarlyStopping", cbs[0])
	}
	if _, ok := cbs[1].(*callbacks.ReduceLROnPlateau); !ok {
		t.Errorf("callback 1 is %T, want *callbacks.ReduceLROnPlateau", cbs[1])
	}
	if cbs, _ := resolveArgs(t, "--model", "lenet5").callbacks(1, io.Discard); len(cbs) != 0 {
		t.Errorf("callbacks without the flags: %v", cbs)
	}
	for _, want := range []string{"early stopping on val_loss with patience 3", "learning rate ×0.1 after 2 epochs without a lower val_loss"} {
		if !strings.Contains(r.describe(1), want) {
			t.Errorf("describe() lacks %q: %s", want, r.describe(1))
		}
	}
	if d := resolveArgs(t, "--model", "lenet5", "--dropout", "0.3", "--l2", "0.0005").describe(1); !regexp.MustCompile(`^model lenet5, dropout 0.3 before Dense, L2 0.0005 on kernels, loss categorical_crossentropy, optimizer Adam\(learning_rate=CosineDecay\(initial_learning_rate=0.001, decay_steps=4690, alpha=0, warmup_steps=0\)\), batch_size 128, epochs 10, seed 1, data mnist$`).MatchString(d) {
		t.Errorf("describe() = %q", d)
	}
}
