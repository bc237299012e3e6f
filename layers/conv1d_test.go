package layers

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

var conv1DKeys = convKeys // Keras's Conv1D has Conv2D's keys, with 1-tuples

func TestConv1DHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "valid", layer: func() Layer { return Conv1D(3, 3, WithActivation("relu")) }, input: []int{7, 2}, output: []int{5, 3}, params: 3*2*3 + 3, keys: conv1DKeys},
		{name: "same-stride2", layer: func() Layer { return Conv1D(2, 4, WithPadding("SAME"), WithStrides(2)) }, input: []int{9, 2}, output: []int{5, 2}, params: 4*2*2 + 2, keys: conv1DKeys},
		{name: "causal-no-bias", layer: func() Layer { return Conv1D(2, 3, WithPadding("causal"), WithUseBias(false)) }, input: []int{6, 3}, output: []int{6, 2}, params: 3 * 3 * 2, keys: conv1DKeys},
		{name: "causal-dilated", layer: func() Layer { return Conv1D(3, 3, WithPadding("causal"), WithDilationRate(2), WithActivation("tanh")) }, input: []int{8, 2}, output: []int{8, 3}, params: 3*2*3 + 3, keys: conv1DKeys},
		{name: "valid-dilated", layer: func() Layer { return Conv1D(2, 2, WithDilationRate(4)) }, input: []int{9, 1}, output: []int{5, 2}, params: 2*1*2 + 2, keys: conv1DKeys},
		{name: "regularized", layer: func() Layer { return Conv1D(2, 2, WithKernelRegularizer(regularizers.L2(0.01))) }, input: []int{4, 2}, output: []int{3, 2}, params: 2*2*2 + 2, keys: conv1DKeys},
	})
}

// TestConv1DShapes holds output lengths to Keras's formulas, worked out by
// hand: valid ⌊(L-K')/s⌋+1, same ⌈L/s⌉, causal ⌈L/s⌉, K' = d·(K-1)+1.
func TestConv1DShapes(t *testing.T) {
	for _, c := range []struct {
		steps, k, s, d int
		padding        string
		out            int
		before, after  int
	}{
		{10, 3, 1, 1, "valid", 8, 0, 0},
		{10, 3, 2, 1, "valid", 4, 0, 0},
		{10, 3, 1, 1, "same", 10, 1, 1},
		{10, 4, 3, 1, "same", 4, 1, 2}, // total (4-1)·3+4-10 = 3
		{10, 3, 1, 1, "causal", 10, 2, 0},
		{10, 3, 3, 1, "causal", 4, 2, 0},
		{10, 3, 1, 4, "causal", 10, 8, 0},
		{10, 3, 1, 4, "valid", 2, 0, 0}, // span 9
		{10, 3, 1, 2, "same", 10, 2, 2}, // span 5
		{1, 5, 1, 1, "causal", 1, 4, 0},
	} {
		l := Conv1D(4, c.k, WithStrides(c.s), WithDilationRate(c.d), WithPadding(c.padding))
		got, err := l.Build([]int{c.steps, 3}, tensor.NewRNG(1))
		if err != nil || !slices.Equal(got, []int{c.out, 4}) || l.before != c.before || l.after != c.after {
			t.Errorf("%+v: Build = %v, %v, padding (%d, %d); want [%d 4], (%d, %d)", c, got, err, l.before, l.after, c.out, c.before, c.after)
		}
	}
}

func TestConv1DDefaults(t *testing.T) {
	l := Conv1D(32, 3)
	l.SetName("conv1d")
	if _, err := l.Build([]int{10, 8}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	ps := l.Params()
	if len(ps) != 2 || !slices.Equal(ps[0].Value.Shape(), []int{3, 8, 32}) || !slices.Equal(ps[1].Value.Shape(), []int{32}) {
		t.Fatalf("params %v, want kernel (3, 8, 32) and bias (32)", ps)
	}
	// glorot_uniform with Keras's fans for (K, C, F): fan_in 3·8, fan_out 3·32.
	limit := math.Sqrt(6.0 / (24 + 96))
	var maxAbs float64
	for _, v := range ps[0].Value.Data() {
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	if maxAbs > limit || maxAbs < 0.95*limit {
		t.Errorf("kernel max |w| = %v, want just under the glorot limit %v", maxAbs, limit)
	}
	cfg := l.Config()
	want := map[string]any{"kernel_size": []any{3}, "strides": []any{1}, "padding": "valid", "dilation_rate": []any{1}, "groups": 1,
		"activation": "linear", "use_bias": true, "data_format": "channels_last"}
	for k, v := range want {
		if !jsonSame(cfg[k], v) {
			t.Errorf("Config %s = %v, want %v", k, cfg[k], v)
		}
	}
	if got := initializerConfig(initializers.GlorotUniform()); !jsonSame(cfg["kernel_initializer"], got) {
		t.Errorf("kernel_initializer %v, want %v", cfg["kernel_initializer"], got)
	}
}

func TestConv1DErrors(t *testing.T) {
	for _, c := range []struct {
		l     Layer
		input []int
		want  string
	}{
		{Conv1D(0, 3), []int{5, 1}, "positive number of filters, got 0"},
		{Conv1D(2, 3, WithStrides(2), WithDilationRate(2)), []int{9, 1}, "got strides 2 and dilation_rate 2"},
		{Conv1D(2, 3, WithPadding("full")), []int{9, 1}, `"valid", "same" or "causal", got "full"`},
		{Conv1D(2, 3, WithKernelSize(3, 3)), []int{9, 1}, "WithKernelSize takes one value for a sequence, got 2"},
		{Conv1D(2, 3, WithStrides(0)), []int{9, 1}, "WithStrides needs a positive value, got 0"},
		{Conv1D(2, 3, WithDilationRate(0)), []int{9, 1}, "WithDilationRate needs a positive value, got 0"},
		{Conv1D(2, 3, WithDepthMultiplier(2)), []int{9, 1}, "does not take the option depth_multiplier"},
		{Conv1D(2, 3, WithPoolSize(2)), []int{9, 1}, "does not take the option pool_size"},
		{Conv1D(2, 3), []int{9, 9, 1}, "expects sequences of shape (steps, channels), got input of shape (None, 9, 9, 1)"},
		{Conv1D(2, 4), []int{3, 1}, "kernel of 4 steps is longer than its input of 3 steps"},
		{Conv1D(2, 3, WithDilationRate(3)), []int{6, 1}, "dilated kernel of 7 steps"},
	} {
		_, err := c.l.Build(c.input, tensor.NewRNG(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Build(%v) error %v, want one saying %q", c.l.ClassName(), c.input, err, c.want)
		}
	}
	// A causal or same sequence may be shorter than the kernel.
	if _, err := Conv1D(2, 4, WithPadding("causal")).Build([]int{2, 1}, tensor.NewRNG(1)); err != nil {
		t.Errorf("causal Conv1D on 2 steps: %v", err)
	}
}

func TestConv1DConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		Conv1D(8, 3),
		Conv1D(4, 5, WithName("tcn"), WithPadding("Causal"), WithDilationRate(2), WithActivation("relu"), WithUseBias(false),
			WithKernelRegularizer(regularizers.L1(0.01)), WithKernelConstraint(constraints.MaxNorm(2, 0, 1))),
		Conv1D(2, 2, WithStrides(2), WithPadding("same"), WithBiasConstraint(constraints.NonNeg()), WithBiasRegularizer(regularizers.L2(0.5)),
			WithKernelInitializer(initializers.HeNormal())),
	)
	// Keras writes 1-tuples as lists; an integer is read too.
	l, err := FromConfig("Conv1D", map[string]any{"name": "c", "filters": 3.0, "kernel_size": 2.0, "strides": []any{2.0}, "dilation_rate": 1.0,
		"padding": "causal", "groups": 1.0, "activity_regularizer": nil, "trainable": true, "dtype": "float32"})
	if err != nil {
		t.Fatal(err)
	}
	if c := l.(*Conv1DLayer); c.window != 2 || c.stride != 2 || c.padding != paddingCausal || c.filters != 3 {
		t.Errorf("read %+v", c)
	}
	for _, bad := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"filters": 3, "kernel_size": 2, "groups": 2}, `"groups" = 2 is not supported`},
		{map[string]any{"filters": 3, "kernel_size": []any{2, 2}}, `"kernel_size" must be an integer or a list of 1 integers`},
		{map[string]any{"filters": 3, "kernel_size": 2, "data_format": "channels_first"}, `"data_format" = "channels_first" is not supported`},
		{map[string]any{"filters": 3, "kernel_size": 2, "dilation_rate": 2, "strides": 2}, "not both"},
		{map[string]any{"kernel_size": 2}, `missing "filters"`},
	} {
		if _, err := FromConfig("Conv1D", bad.cfg); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("FromConfig(%v) error %v, want one saying %s", bad.cfg, err, bad.want)
		}
	}
}

func jsonSame(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// Against PyTorch: testdata/conv1d_torch.json holds, for each case, a layer
// config, an input, the weights, an upstream gradient r, and PyTorch's
// float64 output and gradients of sum(y·r) (testdata/conv1d_torch.py
// writes it). Each case also runs through a float64 reference written
// here, from the Keras formulas, which must agree with both.

// torchRefCase is one case of testdata/conv1d_torch.json.
type torchRefCase struct {
	Name       string
	Class      string
	Config     map[string]any
	InputShape []int `json:"input_shape"`
	X          []float64
	Weights    []struct {
		Shape       []int
		Value, Grad []float64
	}
	OutputShape []int `json:"output_shape"`
	Y, R, DX    []float64
}

// torchRefCases reads the cases of one layer class.
func torchRefCases(t *testing.T, class string) []torchRefCase {
	t.Helper()
	b, err := os.ReadFile("testdata/conv1d_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Cases []torchRefCase }
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	var out []torchRefCase
	for _, c := range file.Cases {
		if c.Class == class {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s case in testdata/conv1d_torch.json", class)
	}
	return out
}

// torchUpstream is the backward of sum(y·r): it adds r to y's gradient.
type torchUpstream struct {
	y *autograd.Var
	r []float32
}

func (s *torchUpstream) Forward(bool) {}
func (s *torchUpstream) Backward() {
	g := s.y.Grad.Data()
	for i, v := range s.r {
		g[i] += v
	}
}

// torchRun builds the case's layer from its config, sets its weights
// and input, and returns goras's output, input gradient and weight
// gradients for the upstream gradient r.
func torchRun(t *testing.T, c torchRefCase) (y, dx []float32, dw [][]float32) {
	t.Helper()
	l, err := FromConfig(c.Class, c.Config)
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.Build(c.InputShape, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out, c.OutputShape) {
		t.Fatalf("output shape %v, PyTorch's %v", out, c.OutputShape)
	}
	ps := l.Params()
	if len(ps) != len(c.Weights) {
		t.Fatalf("%d weights, the case has %d", len(ps), len(c.Weights))
	}
	for i, p := range ps {
		if !slices.Equal(p.Value.Shape(), c.Weights[i].Shape) {
			t.Fatalf("weight %s has shape %v, the case's is %v", p.Name, p.Value.Shape(), c.Weights[i].Shape)
		}
		copy(p.Value.Data(), torchF32(c.Weights[i].Value))
	}
	p := autograd.NewPlan(2)
	shape := append([]int{2}, c.InputShape...)
	x := &autograd.Var{Value: tensor.New(shape...), Grad: tensor.New(shape...)}
	copy(x.Value.Data(), torchF32(c.X))
	v := l.Call(p, x)
	p.AddOp(&torchUpstream{y: v, r: torchF32(c.R)})
	p.Forward(true)
	p.Backward()
	for _, w := range ps {
		dw = append(dw, w.Grad.Data())
	}
	torchInference(t, l, c, v.Value.Data())
	return v.Value.Data(), x.Grad.Data(), dw
}

// torchInference runs the built layer l in an inference plan, whose
// buffers go back to a pool when the layer's scope ends, followed by an op
// that takes a buffer from that pool: the output must be the training
// plan's, bit for bit, and must survive the op after it.
func torchInference(t *testing.T, l Layer, c torchRefCase, want []float32) {
	t.Helper()
	p := autograd.NewInferencePlan(2)
	x := p.Input(c.InputShape...)
	copy(x.Value.Data(), torchF32(c.X))
	s := p.Scope()
	y := l.Call(p, x)
	p.EndScope(s, y)
	p.Tanh(y)
	p.Forward(false)
	if !slices.Equal(y.Value.Data(), want) {
		t.Errorf("inference plan output %v, training plan's %v", y.Value.Data(), want)
	}
}

// torchCheck runs every case of a class against PyTorch, and its output
// against ref, the float64 reference of the case.
func torchCheck(t *testing.T, class string, ref func(c torchRefCase) []float64) {
	for _, c := range torchRefCases(t, class) {
		t.Run(c.Name, func(t *testing.T) {
			y, dx, dw := torchRun(t, c)
			torchClose(t, "output", y, c.Y)
			torchClose(t, "input gradient", dx, c.DX)
			for i, w := range c.Weights {
				torchClose(t, "gradient of weight "+string(rune('0'+i)), dw[i], w.Grad)
			}
			want := ref(c)
			torchClose(t, "output against the float64 reference", y, want)
			for i, v := range want {
				if math.Abs(v-c.Y[i]) > 1e-12 {
					t.Fatalf("float64 reference %v, PyTorch %v at %d", v, c.Y[i], i)
				}
			}
		})
	}
}

// torchClose compares float32 results with float64 expectations within
// 1e-5·(1 + |want|): float32 rounding of sums of a few dozen terms of size
// about 1, where a wrong tap or padding is off by 0.1 or more.
func torchClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > 1e-5*(1+math.Abs(w)) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s element %d: %v, want %v", what, i, got[i], w)
		}
	}
}

func torchF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// torchInt reads an integer, or the first of a list, from a case config.
func torchInt(c torchRefCase, key string, def int) int {
	switch v := c.Config[key].(type) {
	case float64:
		return int(v)
	case []any:
		return int(v[0].(float64))
	}
	return def
}

// kerasPads1D is Keras's padding of one axis of n cells for a window
// spanning span cells: valid none; same ⌈n/s⌉ outputs, the total split
// with the extra cell after; causal span-1 before.
func kerasPads1D(padding string, n, span, stride int) (before, after int) {
	switch padding {
	case "same":
		out := (n + stride - 1) / stride
		total := max((out-1)*stride+span-n, 0)
		return total / 2, total - total/2
	case "causal":
		return span - 1, 0
	}
	return 0, 0
}

// conv1DRef is Keras's Conv1D in float64, from its definition:
// y[n,t,f] = act(b[f] + Σ_{k,c} x[n, t·s + k·d - before, c]·w[k,c,f]).
func conv1DRef(c torchRefCase) []float64 {
	steps, ch := c.InputShape[0], c.InputShape[1]
	k, s, d := torchInt(c, "kernel_size", 0), torchInt(c, "strides", 1), torchInt(c, "dilation_rate", 1)
	f := torchInt(c, "filters", 0)
	before, _ := kerasPads1D(c.Config["padding"].(string), steps, d*(k-1)+1, s)
	out := c.OutputShape[0]
	w := c.Weights[0].Value
	var y []float64
	for n := 0; n < 2; n++ {
		for t := 0; t < out; t++ {
			for fi := 0; fi < f; fi++ {
				var sum float64
				if len(c.Weights) > 1 {
					sum = c.Weights[1].Value[fi]
				}
				for kk := 0; kk < k; kk++ {
					at := t*s + kk*d - before
					if at < 0 || at >= steps {
						continue
					}
					for ci := 0; ci < ch; ci++ {
						sum += c.X[(n*steps+at)*ch+ci] * w[(kk*ch+ci)*f+fi]
					}
				}
				if c.Config["activation"] == "relu" {
					sum = math.Max(sum, 0)
				}
				y = append(y, sum)
			}
		}
	}
	return y
}

func TestConv1DAgainstTorch(t *testing.T) { torchCheck(t, "Conv1D", conv1DRef) }
