package layers

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

func TestPooling1DHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "MaxPooling1D", layer: func() Layer { return MaxPooling1D() }, input: []int{7, 3}, output: []int{3, 3}, keys: poolKeys},
		{name: "MaxPooling1D/same", layer: func() Layer { return MaxPooling1D(WithPoolSize(3), WithStrides(2), WithPadding("Same")) }, input: []int{8, 2}, output: []int{4, 2}, keys: poolKeys},
		{name: "AveragePooling1D", layer: func() Layer { return AveragePooling1D(3, WithStrides(1)) }, input: []int{7, 2}, output: []int{5, 2}, keys: poolKeys},
		{name: "AveragePooling1D/same", layer: func() Layer { return AveragePooling1D(3, WithStrides(2), WithPadding("same")) }, input: []int{8, 2}, output: []int{4, 2}, keys: poolKeys},
	})
}

func TestPooling1DShapesAndDefaults(t *testing.T) {
	for _, c := range []struct {
		l     *Pooling1DLayer
		steps int
		out   int
		pads  [2]int
	}{
		{MaxPooling1D(), 100, 50, [2]int{0, 0}}, // Keras: pool 2, strides = pool
		{MaxPooling1D(), 7, 3, [2]int{0, 0}},
		{MaxPooling1D(WithPadding("same")), 7, 4, [2]int{0, 1}},
		{AveragePooling1D(3), 10, 3, [2]int{0, 0}},
		{AveragePooling1D(3, WithPadding("same")), 10, 4, [2]int{1, 1}}, // total 3·3+3-10 = 2
		{AveragePooling1D(4, WithStrides(1), WithPadding("same")), 6, 6, [2]int{1, 2}},
		{MaxPooling1D(WithPoolSize(5), WithPadding("same")), 2, 1, [2]int{1, 2}}, // shorter than the window
	} {
		got, err := c.l.Build([]int{c.steps, 2}, tensor.NewRNG(1))
		if err != nil || !slices.Equal(got, []int{c.out, 2}) || c.l.before != c.pads[0] || c.l.after != c.pads[1] {
			t.Errorf("%s %v on %d steps: %v, %v, padding (%d, %d); want [%d 2], %v", c.l.ClassName(), c.l.Config(), c.steps, got, err, c.l.before, c.l.after, c.out, c.pads)
		}
	}
	if s := MaxPooling1D().Config(); !jsonSame(s["pool_size"], []int{2}) || !jsonSame(s["strides"], []int{2}) || s["padding"] != "valid" {
		t.Errorf("MaxPooling1D() config %v, want Keras's pool_size (2,), strides (2,), valid", s)
	}
	for _, c := range []struct {
		l     *Pooling1DLayer
		input []int
		want  string
	}{
		{AveragePooling1D(0), []int{4, 2}, "AveragePooling1D needs a window size"},
		{MaxPooling1D(WithPoolSize(2, 2)), []int{4, 2}, "WithPoolSize takes one value for a sequence, got 2"},
		{MaxPooling1D(WithPadding("causal")), []int{4, 2}, `padding must be "valid" or "same", got "causal"`},
		{MaxPooling1D(WithKernelSize(3)), []int{4, 2}, "does not take the option kernel_size"},
		{MaxPooling1D(), []int{1, 2}, "pool size of 2 steps is longer than its input of 1 steps"},
		{AveragePooling1D(2), []int{4, 4, 2}, "expects sequences of shape (steps, channels), got input of shape (None, 4, 4, 2)"},
	} {
		if _, err := c.l.Build(c.input, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s.Build(%v) error %v, want one saying %q", c.l.ClassName(), c.input, err, c.want)
		}
	}
}

func TestPooling1DConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		MaxPooling1D(),
		MaxPooling1D(WithPoolSize(3), WithStrides(1), WithPadding("SAME"), WithName("pool")),
		AveragePooling1D(4),
		AveragePooling1D(2, WithStrides(3), WithPadding("same")),
	)
	// Keras 3's own config: 1-tuples as lists, strides null for the pool size.
	l, err := FromConfig("AveragePooling1D", map[string]any{"name": "avg", "trainable": true, "dtype": "float32", "pool_size": []any{3.0},
		"padding": "valid", "strides": nil, "data_format": "channels_last"})
	if err != nil {
		t.Fatal(err)
	}
	if a := l.(*Pooling1DLayer); a.window != 3 || a.stride != 3 || a.max {
		t.Errorf("read %+v, want average pooling of 3 steps by 3", a)
	}
	if _, err := FromConfig("AveragePooling1D", map[string]any{"strides": 2}); err == nil || !strings.Contains(err.Error(), `missing "pool_size"`) {
		t.Errorf("AveragePooling1D without pool_size: %v", err)
	}
	if _, err := FromConfig("MaxPooling1D", map[string]any{"pool_size": []any{2, 2}}); err == nil || !strings.Contains(err.Error(), "list of 1 integers") {
		t.Errorf("MaxPooling1D with a 2-D pool size: %v", err)
	}
}

// pool1DRef is Keras's 1-D pooling in float64: the max or mean of the real
// steps of each window (padding never wins a max and is not counted in a
// mean).
func pool1DRef(c torchRefCase) []float64 {
	steps, ch := c.InputShape[0], c.InputShape[1]
	k := torchInt(c, "pool_size", 0)
	s := torchInt(c, "strides", k)
	before, _ := kerasPads1D(c.Config["padding"].(string), steps, k, s)
	var y []float64
	for n := 0; n < 2; n++ {
		for t := 0; t < c.OutputShape[0]; t++ {
			for ci := 0; ci < ch; ci++ {
				best, sum, count := math.Inf(-1), 0.0, 0
				for kk := 0; kk < k; kk++ {
					if at := t*s + kk - before; at >= 0 && at < steps {
						v := c.X[(n*steps+at)*ch+ci]
						best, sum, count = math.Max(best, v), sum+v, count+1
					}
				}
				if c.Class == "MaxPooling1D" {
					y = append(y, best)
				} else {
					y = append(y, sum/float64(count))
				}
			}
		}
	}
	return y
}

func TestPooling1DAgainstTorch(t *testing.T) {
	torchCheck(t, "MaxPooling1D", pool1DRef)
	torchCheck(t, "AveragePooling1D", pool1DRef)
}
