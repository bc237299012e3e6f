package layers

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

var separableKeys = []string{"name", "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier",
	"activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer", "depthwise_regularizer",
	"pointwise_regularizer", "bias_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"}

func TestSeparableConv2DHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "valid", layer: func() Layer { return SeparableConv2D(3, 3, WithDepthMultiplier(2)) }, input: []int{5, 6, 2}, output: []int{3, 4, 3},
			params: 3*3*2*2 + 4*3 + 3, keys: separableKeys},
		{name: "same-stride2-relu", layer: func() Layer {
			return SeparableConv2D(2, 3, WithPadding("same"), WithStrides(2), WithActivation("relu"))
		},
			input: []int{6, 5, 3}, output: []int{3, 3, 2}, params: 3*3*3 + 3*2 + 2, keys: separableKeys},
		{name: "dilated-no-bias", layer: func() Layer {
			return SeparableConv2D(2, 2, WithDepthMultiplier(3), WithPadding("same"), WithDilationRate(2), WithUseBias(false), WithActivation("tanh"))
		}, input: []int{4, 4, 2}, output: []int{4, 4, 2}, params: 2*2*2*3 + 6*2, keys: separableKeys},
		{name: "rect-regularized", layer: func() Layer {
			return SeparableConv2D(2, 0, WithKernelSize(2, 3), WithDepthwiseRegularizer(regularizers.L2(0.01)), WithPointwiseRegularizer(regularizers.L1(0.01)))
		}, input: []int{3, 4, 1}, output: []int{2, 2, 2}, params: 2*3*1 + 1*2 + 2, keys: separableKeys},
	})
}

func TestSeparableConv2DDefaults(t *testing.T) {
	l := SeparableConv2D(64, 3)
	l.SetName("separable_conv2d")
	out, err := l.Build([]int{10, 10, 32}, tensor.NewRNG(1))
	if err != nil || !slices.Equal(out, []int{8, 8, 64}) {
		t.Fatalf("Build = %v, %v; want [8 8 64]", out, err)
	}
	ps := l.Params()
	names := []string{"separable_conv2d/depthwise_kernel", "separable_conv2d/pointwise_kernel", "separable_conv2d/bias"}
	shapes := [][]int{{3, 3, 32, 1}, {1, 1, 32, 64}, {64}}
	if len(ps) != 3 {
		t.Fatalf("%d weights, want 3", len(ps))
	}
	for i, p := range ps {
		if p.Name != names[i] || !slices.Equal(p.Value.Shape(), shapes[i]) {
			t.Errorf("weight %d: %s %v, want %s %v", i, p.Name, p.Value.Shape(), names[i], shapes[i])
		}
	}
	// glorot_uniform with Keras's fans: depthwise (3,3,32,1) fan_in 288,
	// fan_out 9; pointwise (1,1,32,64) fan_in 32, fan_out 64. Bias zeros.
	for i, limit := range []float64{math.Sqrt(6.0 / (288 + 9)), math.Sqrt(6.0 / (32 + 64)), 0} {
		var maxAbs float64
		for _, v := range ps[i].Value.Data() {
			maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
		}
		if maxAbs > limit || maxAbs < 0.9*limit {
			t.Errorf("%s max |w| = %v, want just under %v", ps[i].Name, maxAbs, limit)
		}
	}
	cfg := l.Config()
	want := map[string]any{"kernel_size": []int{3, 3}, "strides": []int{1, 1}, "padding": "valid", "dilation_rate": []int{1, 1},
		"depth_multiplier": 1, "activation": "linear", "use_bias": true, "data_format": "channels_last",
		"depthwise_initializer": initializerConfig(initializers.GlorotUniform()), "pointwise_initializer": initializerConfig(initializers.GlorotUniform()),
		"bias_initializer": initializerConfig(initializers.Zeros()), "depthwise_regularizer": nil, "pointwise_constraint": nil}
	for k, v := range want {
		if !jsonSame(cfg[k], v) {
			t.Errorf("Config %s = %v, want %v", k, cfg[k], v)
		}
	}
}

func TestSeparableConv2DErrors(t *testing.T) {
	for _, c := range []struct {
		l     Layer
		input []int
		want  string
	}{
		{SeparableConv2D(0, 3), []int{5, 5, 1}, "positive number of filters, got 0"},
		{SeparableConv2D(2, 3, WithDepthMultiplier(0)), []int{5, 5, 1}, "positive depth multiplier, got 0"},
		{SeparableConv2D(2, 3, WithStrides(2), WithDilationRate(2)), []int{9, 9, 1}, "not both"},
		{SeparableConv2D(2, 3, WithKernelInitializer(initializers.Ones())), []int{5, 5, 1}, "does not take the option kernel_initializer"},
		{SeparableConv2D(2, 3, WithPadding("causal")), []int{5, 5, 1}, `padding must be "valid" or "same", got "causal"`},
		{Conv1D(2, 3, WithPointwiseInitializer(initializers.Ones())), []int{5, 1}, "Conv1D does not take the option pointwise_initializer"},
		{DepthwiseConv2D(3, WithDepthwiseRegularizer(regularizers.L2(1))), []int{5, 5, 1}, "does not take the option depthwise_regularizer"},
		{SeparableConv2D(2, 3), []int{5, 1}, "expects images of shape (height, width, channels)"},
		{SeparableConv2D(2, 3, WithDilationRate(2)), []int{4, 9, 1}, "dilated kernel 5x5 is larger than its 4x9 input"},
		{SeparableConv2D(2, 3, WithDepthwiseConstraint(constraints.MaxNorm(2, 5))), []int{5, 5, 1}, "depthwise_kernel"},
	} {
		_, err := c.l.Build(c.input, tensor.NewRNG(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Build(%v) error %v, want one saying %q", c.l.ClassName(), c.input, err, c.want)
		}
	}
}

func TestSeparableConv2DConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		SeparableConv2D(8, 3),
		SeparableConv2D(4, 0, WithKernelSize(3, 5), WithName("sep"), WithStrides(2, 1), WithPadding("SAME"), WithDepthMultiplier(2),
			WithActivation("relu"), WithUseBias(false), WithDepthwiseInitializer(initializers.HeNormal()),
			WithPointwiseInitializer(initializers.Ones()), WithDepthwiseRegularizer(regularizers.L2(0.1)),
			WithPointwiseRegularizer(regularizers.L1(0.2)), WithDepthwiseConstraint(constraints.NonNeg()),
			WithPointwiseConstraint(constraints.MaxNorm(3, 0, 1, 2))),
		SeparableConv2D(2, 2, WithDilationRate(2, 3), WithBiasRegularizer(regularizers.L2(0.5)), WithBiasConstraint(constraints.NonNeg()),
			WithBiasInitializer(initializers.Ones())),
	)
	// What was read is what is in force: the same seed gives the same
	// weights, with their regularizers.
	orig := SeparableConv2D(3, 2, WithDepthwiseInitializer(initializers.HeUniform()), WithPointwiseRegularizer(regularizers.L2(0.5)))
	back, err := FromConfig("SeparableConv2D", orig.Config())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []Layer{orig, back} {
		if _, err := l.Build([]int{4, 4, 2}, tensor.NewRNG(7)); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range orig.Params() {
		if q := back.Params()[i]; !slices.Equal(p.Value.Data(), q.Value.Data()) || (p.Regularizer == nil) != (q.Regularizer == nil) {
			t.Errorf("%s differs after the round trip", p.Name)
		}
	}
	if r := back.Params()[1].Regularizer; r == nil || r.Penalty([]float32{2}) != 0.5*4 {
		t.Errorf("pointwise regularizer not L2(0.5): %v", r)
	}
}

// separableRef is Keras's SeparableConv2D in float64, from its definition:
// d[n,i,j,c·M+m] = Σ_{ky,kx} x[n, i·sh+ky·dh-pt, j·sw+kx·dw-pl, c]·dw[ky,kx,c,m],
// y[n,i,j,f] = act(b[f] + Σ_q d[n,i,j,q]·pw[0,0,q,f]).
func separableRef(c torchRefCase) []float64 {
	h, w, ch := c.InputShape[0], c.InputShape[1], c.InputShape[2]
	oh, ow, f := c.OutputShape[0], c.OutputShape[1], c.OutputShape[2]
	k, s, dil := torchInt(c, "kernel_size", 0), torchInt(c, "strides", 1), torchInt(c, "dilation_rate", 1)
	m := torchInt(c, "depth_multiplier", 1)
	pt, _ := kerasPads1D(c.Config["padding"].(string), h, dil*(k-1)+1, s)
	pl, _ := kerasPads1D(c.Config["padding"].(string), w, dil*(k-1)+1, s)
	dk, pk := c.Weights[0].Value, c.Weights[1].Value
	var y []float64
	for n := 0; n < 2; n++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				d := make([]float64, ch*m)
				for ky := 0; ky < k; ky++ {
					for kx := 0; kx < k; kx++ {
						r, col := i*s+ky*dil-pt, j*s+kx*dil-pl
						if r < 0 || r >= h || col < 0 || col >= w {
							continue
						}
						for q := range d {
							d[q] += c.X[((n*h+r)*w+col)*ch+q/m] * dk[(ky*k+kx)*ch*m+q]
						}
					}
				}
				for fi := 0; fi < f; fi++ {
					var sum float64
					if len(c.Weights) > 2 {
						sum = c.Weights[2].Value[fi]
					}
					for q, v := range d {
						sum += v * pk[q*f+fi]
					}
					if c.Config["activation"] == "relu" {
						sum = math.Max(sum, 0)
					}
					y = append(y, sum)
				}
			}
		}
	}
	return y
}

func TestSeparableConv2DAgainstTorch(t *testing.T) { torchCheck(t, "SeparableConv2D", separableRef) }
