package layers

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

var (
	dropoutKeys   = []string{"name", "rate", "seed", "noise_shape"}
	batchNormKeys = []string{"name", "axis", "momentum", "epsilon", "center", "scale",
		"beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
		"beta_regularizer", "gamma_regularizer"}
)

func TestMoreLayersHarness(t *testing.T) {
	act := func(name string) layerCase {
		return layerCase{name: "Activation/" + name, layer: func() Layer { return Activation(name) },
			input: []int{2, 3}, output: []int{2, 3}, keys: []string{"name", "activation"}}
	}
	checkLayers(t, []layerCase{
		{name: "Dropout", layer: func() Layer { return Dropout(0.5) }, input: []int{6}, output: []int{6}, keys: dropoutKeys, stochastic: true},
		{name: "Dropout/seeded-rank3", layer: func() Layer { return Dropout(0.2, WithSeed(3)) }, input: []int{2, 2, 3}, output: []int{2, 2, 3}, keys: dropoutKeys, stochastic: true},
		{name: "BatchNormalization", layer: func() Layer { return BatchNormalization() }, input: []int{3}, output: []int{3}, params: 12, keys: batchNormKeys},
		{name: "BatchNormalization/NHWC", layer: func() Layer {
			return BatchNormalization(WithGammaInitializer(initializers.Constant(1.5)), WithBetaInitializer(initializers.Constant(0.1)))
		}, input: []int{2, 3, 2}, output: []int{2, 3, 2}, params: 8, keys: batchNormKeys},
		{name: "BatchNormalization/no-center-no-scale", layer: func() Layer {
			return BatchNormalization(WithCenter(false), WithScale(false), WithName("bn"))
		}, input: []int{3, 2}, output: []int{3, 2}, params: 4, keys: batchNormKeys},
		{name: "Reshape", layer: func() Layer { return Reshape(3, -1) }, input: []int{2, 3}, output: []int{3, 2}, keys: []string{"name", "target_shape"}},
		{name: "Rescaling", layer: func() Layer { return Rescaling(0.5, -1) }, input: []int{4}, output: []int{4}, keys: []string{"name", "scale", "offset"}},
		// leaky_relu and selu have a kink at 0, which the harness's inputs
		// contain; their gradients are checked in package autograd.
		act("elu"), act("gelu"), act("silu"), act("softplus"), act("log_softmax"),
	})
}

func TestNewActivationsByName(t *testing.T) {
	for name, want := range map[string]string{
		"leaky_relu": "leaky_relu", "elu": "elu", "selu": "selu", "gelu": "gelu", "silu": "silu",
		"swish": "silu", "Softplus": "softplus", "log_softmax": "log_softmax",
	} {
		l := Activation(name)
		if _, err := l.Build([]int{3}, nil); err != nil {
			t.Errorf("Activation(%q): %v", name, err)
			continue
		}
		if got := l.Config()["activation"]; got != want {
			t.Errorf("Activation(%q) config activation %v, want %q", name, got, want)
		}
	}
	// Keras's default arguments: leaky_relu slope 0.2, elu alpha 1.
	got := forwardLayer(t, Activation("leaky_relu"), false, []float32{-1, 2})
	if got[0] != -0.2 || got[1] != 2 {
		t.Errorf("leaky_relu(-1, 2) = %v, want [-0.2 2]", got)
	}
	got = forwardLayer(t, Activation("elu"), false, []float32{-1, 2})
	if math.Abs(float64(got[0])-(math.Exp(-1)-1)) > 1e-7 || got[1] != 2 {
		t.Errorf("elu(-1, 2) = %v, want [%v 2]", got, math.Exp(-1)-1)
	}
}

// forwardLayer builds l for a batch of one sample of values and returns its
// output after one Forward.
func forwardLayer(t *testing.T, l Layer, training bool, values []float32) []float32 {
	t.Helper()
	if l.Name() == "" {
		l.SetName("under_test")
	}
	if _, err := l.Build([]int{len(values)}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	p := autograd.NewPlan(1)
	x := p.Input(len(values))
	copy(x.Value.Data(), values)
	y := l.Call(p, x)
	p.Forward(training)
	return y.Value.Data()
}

// dropoutMask is the mask a freshly built Dropout(0.5) layer draws on its
// first training step over 64 ones, with the model generator seeded modelSeed.
func dropoutMask(t *testing.T, l *DropoutLayer, modelSeed uint64) []float32 {
	t.Helper()
	l.SetName("dropout")
	if _, err := l.Build([]int{64}, tensor.NewRNG(modelSeed)); err != nil {
		t.Fatal(err)
	}
	p := autograd.NewPlan(1)
	x := p.Input(64)
	for i := range x.Value.Data() {
		x.Value.Data()[i] = 1
	}
	y := l.Call(p, x)
	p.Forward(true)
	return append([]float32(nil), y.Value.Data()...)
}

func sameValues(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestDropoutLayerSeeds(t *testing.T) {
	a, b := dropoutMask(t, Dropout(0.5), 1), dropoutMask(t, Dropout(0.5), 1)
	if !sameValues(a, b) {
		t.Error("the same model seed drew different masks")
	}
	if sameValues(a, dropoutMask(t, Dropout(0.5), 2)) {
		t.Error("model seeds 1 and 2 drew the same mask")
	}
	for _, v := range a {
		if v != 0 && v != 2 {
			t.Fatalf("mask value %v, want 0 or 1/(1-0.5) = 2", v)
		}
	}
	// WithSeed fixes the mask whatever the model's seed.
	c, d := dropoutMask(t, Dropout(0.5, WithSeed(9)), 1), dropoutMask(t, Dropout(0.5, WithSeed(9)), 2)
	if !sameValues(c, d) {
		t.Error("WithSeed(9) drew different masks under different model seeds")
	}
	if cfg := Dropout(0.5, WithSeed(9)).Config(); cfg["seed"] != uint64(9) || cfg["rate"] != 0.5 {
		t.Errorf("config %v, want seed 9 and rate 0.5", cfg)
	}
	if cfg := Dropout(0.5).Config(); cfg["seed"] != nil {
		t.Errorf("config seed %v, want nil (Keras's None) without WithSeed", cfg["seed"])
	}
	// Inference is bit-identical to the input.
	in := []float32{0.1, -3.7, 1e-8, 42}
	if got := forwardLayer(t, Dropout(0.9), false, in); !sameValues(got, in) {
		t.Errorf("inference output %v, want the input %v", got, in)
	}
}

func TestMoreLayerErrors(t *testing.T) {
	checkBuildErrors(t, []buildErrCase{
		{Dropout(1), []int{4}, "rate must be in [0, 1), got 1"},
		{Dropout(-0.1), []int{4}, "rate must be in [0, 1)"},
		{Dropout(0.5, WithActivation("relu")), []int{4}, "Dropout does not take the option activation"},
		{BatchNormalization(WithMomentum(1.5)), []int{4}, "momentum must be in [0, 1], got 1.5"},
		{BatchNormalization(WithEpsilon(0)), []int{4}, "epsilon must be > 0"},
		{BatchNormalization(WithUseBias(false)), []int{4}, "BatchNormalization does not take the option use_bias"},
		{BatchNormalization(), []int{}, "needs inputs with a channel axis"},
		{Reshape(), []int{4}, "needs a target shape"},
		{Reshape(-1, -1), []int{4}, "at most one can be inferred"},
		{Reshape(2, 0), []int{4}, "has a dimension 0"},
		{Reshape(3, 3), []int{28, 28}, "cannot reshape (None, 28, 28) of 784 values per sample to (None, 3, 3) of 9 values"},
		{Reshape(5, -1), []int{28, 28}, "784 is not a multiple of 5"},
		{Rescaling(math.Inf(1), 0), []int{4}, "finite scale and offset"},
	})
}

func TestBatchNormLayerWeights(t *testing.T) {
	l2 := regularizers.L2(0.01)
	l := BatchNormalization(WithName("bn"), WithMomentum(0.9), WithEpsilon(1e-5), WithGammaRegularizer(l2))
	if _, err := l.Build([]int{5, 5, 4}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name      string
		trainable bool
		value     float32
	}{{"bn/gamma", true, 1}, {"bn/beta", true, 0}, {"bn/moving_mean", false, 0}, {"bn/moving_variance", false, 1}}
	ps := l.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d weights, want 4", len(ps))
	}
	for i, w := range want {
		p := ps[i]
		if p.Name != w.name || p.Trainable != w.trainable || (p.Grad != nil) != w.trainable || p.Value.Len() != 4 {
			t.Errorf("weight %d: %s trainable %v grad %v len %d, want %s trainable %v", i, p.Name, p.Trainable, p.Grad != nil, p.Value.Len(), w.name, w.trainable)
		}
		for _, v := range p.Value.Data() {
			if v != w.value {
				t.Errorf("%s starts at %v, want %v", p.Name, v, w.value)
				break
			}
		}
	}
	if ps[0].Regularizer == nil || ps[1].Regularizer != nil {
		t.Error("the gamma regularizer should sit on gamma only")
	}
	cfg := l.Config()
	if cfg["momentum"] != 0.9 || cfg["epsilon"] != 1e-5 || cfg["axis"] != -1 || cfg["center"] != true {
		t.Errorf("config %v", cfg)
	}
	if g := cfg["gamma_initializer"].(map[string]any); g["class_name"] != "Ones" {
		t.Errorf("gamma_initializer %v, want Ones", g)
	}
	if l.MovingMean() != ps[2] || l.MovingVariance() != ps[3] {
		t.Error("MovingMean/MovingVariance are not the weights listed by Params")
	}
}

func TestRescalingAndReshapeValues(t *testing.T) {
	got := forwardLayer(t, Rescaling(1.0/255, 0), false, []float32{0, 51, 255})
	for i, want := range []float32{0, 0.2, 1} {
		if math.Abs(float64(got[i]-want)) > 1e-7 {
			t.Errorf("Rescaling(1/255)[%d] = %v, want %v", i, got[i], want)
		}
	}
	l := Reshape(-1, 2)
	l.SetName("r")
	out, err := l.Build([]int{2, 3}, nil)
	if err != nil || !tensor.SameShape(out, []int{3, 2}) {
		t.Fatalf("Reshape(-1, 2) of (2, 3): %v, %v", out, err)
	}
	if ts := l.Config()["target_shape"].([]any); len(ts) != 2 || ts[0] != -1 || ts[1] != 2 {
		t.Errorf("target_shape %v, want [-1 2] as given", ts)
	}
}

// TestMoreLayersConfigRoundTrip: Config → JSON → FromConfig → Config gives
// the same JSON, and the rebuilt layer behaves as the original.
func TestMoreLayersConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		Dropout(0.25),
		Dropout(0.5, WithSeed(1234), WithName("drop")),
		BatchNormalization(),
		BatchNormalization(WithName("bn"), WithMomentum(0.9), WithEpsilon(1e-5), WithCenter(false),
			WithGammaInitializer(initializers.Constant(2)), WithMovingVarianceInitializer(initializers.Constant(3)),
			WithGammaRegularizer(regularizers.L2(0.01)), WithBetaRegularizer(regularizers.L1(0.5))),
		Reshape(28, 28, 1),
		Reshape(-1, 4),
		Rescaling(1.0/255, 0),
		Rescaling(1.0/127.5, -1, WithName("to_pm1")),
	)
	// Options read back are in force: the seeded mask and the moving variance.
	l, err := FromConfig("Dropout", map[string]any{"name": "d", "rate": 0.5, "seed": 9.0, "noise_shape": nil, "trainable": true})
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(dropoutMask(t, l.(*DropoutLayer), 1), dropoutMask(t, Dropout(0.5, WithSeed(9)), 2)) {
		t.Error("the rebuilt Dropout does not draw WithSeed(9)'s mask")
	}
	bn, err := FromConfig("BatchNormalization", map[string]any{"name": "bn", "moving_variance_initializer": "ones", "center": false})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bn.Build([]int{3}, tensor.NewRNG(1)); err != nil || len(bn.Params()) != 3 {
		t.Errorf("rebuilt BatchNormalization(center=false): %v, %d weights, want 3", err, len(bn.Params()))
	}
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"Dropout", map[string]any{"rate": 1.5}, "rate must be in [0, 1)"},
		{"Dropout", map[string]any{"rate": 0.5, "seed": -1.0}, `"seed" must be null or a non-negative integer`},
		{"Dropout", map[string]any{"rate": 0.5, "noise_shape": []any{nil, 1.0}}, `"noise_shape" = [null,1] is not supported`},
		{"Dropout", map[string]any{}, `missing "rate"`},
		{"BatchNormalization", map[string]any{"axis": 1.0}, `"axis" = 1 is not supported by goras (only -1)`},
		{"BatchNormalization", map[string]any{"momentum": "high"}, `"momentum" must be a number`},
		{"BatchNormalization", map[string]any{"renorm": true}, "unknown key(s) renorm"},
		{"Reshape", map[string]any{"target_shape": "28x28"}, `"target_shape" must be a list of integers`},
		{"Reshape", map[string]any{"target_shape": []any{-1.0, -1.0}}, "at most one can be inferred"},
		{"Rescaling", map[string]any{"offset": 1.0}, `missing "scale"`},
	} {
		_, err := FromConfig(c.class, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromConfig(%s, %v) error %v, want one saying %q", c.class, c.cfg, err, c.want)
		}
	}
}
