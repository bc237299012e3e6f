package goras

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
)

// Window sizes, strides and dilation rates too large for the arithmetic
// of a window, and weights too large to make, are Build errors that say
// so. Before, each built: Conv2D's 2³¹×2³¹ kernel as a tensor of no
// values (the first Predict divided by zero), DepthwiseConv2D's dilated
// span overflowed (Predict panicked), Conv1D's dilated kernel would pad
// every sequence to 2²⁸ steps in each batch, and Dense(2⁴⁰) made its
// kernel before its output's size was refused.
func TestHugeWindowsAreBuildErrors(t *testing.T) {
	type sizeCase struct {
		layer layers.Layer
		input []int
		want  string
	}
	cases := []sizeCase{
		{layers.Conv2D(2, 1<<20, layers.WithPadding("same")), []int{5, 5, 2}, "would make a weight conv2d/kernel of shape (1048576, 1048576, 2, 2), more than"},
		{layers.Conv2D(2, 3, layers.WithPadding("same"), layers.WithStrides(math.MaxInt)), []int{5, 5, 2}, "WithStrides takes values up to"},
		{layers.DepthwiseConv2D(3, layers.WithPadding("same"), layers.WithDilationRate(math.MaxInt/2)), []int{5, 5, 2}, "WithDilationRate takes values up to"},
		{layers.MaxPooling2D(layers.WithPadding("same"), layers.WithPoolSize(math.MaxInt)), []int{5, 5, 2}, "WithPoolSize takes values up to"},
		{layers.Conv1D(2, 3, layers.WithPadding("causal"), layers.WithDilationRate(1<<27)), []int{5, 3}, "pads each sequence to 268435461 steps of 3 channels"},
		{layers.AveragePooling1D(math.MaxInt, layers.WithPadding("same")), []int{5, 2}, "takes a window size up to"},
		{layers.Dense(1 << 20), []int{1 << 12}, "would make a weight dense/kernel of shape (4096, 1048576), more than"},
	}
	if strconv.IntSize == 64 { // sizes an int of 32 bits cannot hold
		shift31, shift40 := 31, 40
		cases = append(cases,
			sizeCase{layers.Conv2D(2, 1<<shift31, layers.WithPadding("same")), []int{5, 5, 2}, "takes a window size up to"},
			sizeCase{layers.Dense(1 << shift40), []int{4}, "would make samples of shape (None, 1099511627776)"}, // before making a 16 TB kernel
		)
	}
	for _, c := range cases {
		m := NewSequential(layers.Input(c.input...), c.layer)
		err := m.Build()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Build error %v, want one saying %q", c.layer.ClassName(), err, c.want)
		}
	}
	// The largest accepted still predict.
	m := NewSequential(layers.Input(5, 5, 2), layers.DepthwiseConv2D(3, layers.WithPadding("same"), layers.WithDilationRate(1<<28)))
	if _, err := m.Predict(randomTensor(1, 2, 5, 5, 2), Verbose(0)); err != nil {
		t.Errorf("DepthwiseConv2D at dilation 2^28: %v", err)
	}
}
