package layers

import (
	"fmt"
	"strings"
)

// This file is the one place where windowed layers (convolution, pooling)
// work out their padding, strides and output sizes.

// Keras's padding modes, as Config reports them.
const (
	paddingValid = "valid"
	paddingSame  = "same"
)

// parsePadding accepts "valid" or "same" in any case, as Keras does.
func parsePadding(class, s string) (string, error) {
	switch p := strings.ToLower(s); p {
	case paddingValid, paddingSame:
		return p, nil
	}
	return "", fmt.Errorf("%s padding must be \"valid\" or \"same\", got %q", class, s)
}

// pads is the padding on the four sides of an image, in rows and columns.
type pads struct{ top, bottom, left, right int }

// window1D returns the output length and the padding before and after along
// one axis of length in, for a window of size k moved by stride:
//
//   - valid: no padding; out = ⌊(in - k)/stride⌋ + 1 (0 when k > in);
//   - same: out = ⌈in/stride⌉, with total padding max((out-1)·stride + k - in, 0)
//     split as TensorFlow/XLA "SAME" (what every Keras 3 backend does): the
//     smaller half before, the extra pixel after (bottom or right).
func window1D(in, k, stride int, padding string) (out, before, after int) {
	if padding == paddingSame {
		out = (in + stride - 1) / stride
		total := max((out-1)*stride+k-in, 0)
		return out, total / 2, total - total/2
	}
	if k > in {
		return 0, 0, 0
	}
	return (in-k)/stride + 1, 0, 0
}

// window2D applies window1D to the rows and columns of an image of size
// h×w, with window kernel (rows, cols) and strides (rows, cols).
func window2D(h, w int, kernel, strides [2]int, padding string) (oh, ow int, p pads) {
	oh, p.top, p.bottom = window1D(h, kernel[0], strides[0], padding)
	ow, p.left, p.right = window1D(w, kernel[1], strides[1], padding)
	return oh, ow, p
}

// checkImage validates a per-sample input for a windowed layer: it must be
// (H, W, C), and (valid padding) at least as large as the window.
func checkImage(l Layer, input []int, kernel [2]int, padding, what string) error {
	if len(input) != 3 {
		return buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s); for 28×28 grayscale digits use layers.Input(28, 28, 1)", shapeList(input))
	}
	if padding == paddingValid && (input[0] < kernel[0] || input[1] < kernel[1]) {
		return buildError(l, "%s %dx%d is larger than its %dx%d input with padding \"valid\"; use a smaller %s or padding \"same\"", what, kernel[0], kernel[1], input[0], input[1], what)
	}
	return nil
}

// pairOf turns the values of an option of rows and columns into (rows,
// cols): one value is used for both, as Keras's int for a tuple.
func pairOf(option string, v []int) ([2]int, error) {
	switch len(v) {
	case 1:
		return [2]int{v[0], v[0]}, nil
	case 2:
		return [2]int{v[0], v[1]}, nil
	}
	return [2]int{}, fmt.Errorf("%s takes 1 or 2 values (rows, columns), got %d", option, len(v))
}

// maxWindow bounds a window's size, stride and dilation rate: 2^28, the
// most values a sample may have at any layer, so more than any image side
// or sequence. Beyond it the window arithmetic (a dilated span, the
// padding around the input) could overflow an int: a dilation rate of
// 2^62 built, then panicked in the first Predict.
const maxWindow = 1 << 28

// pair turns the values of WithKernelSize, WithStrides or WithPoolSize into
// (rows, cols), each positive and at most maxWindow.
func pair(option string, v []int) ([2]int, error) {
	p, err := pairOf(option, v)
	if err != nil {
		return p, err
	}
	if p[0] <= 0 || p[1] <= 0 {
		return p, fmt.Errorf("%s needs positive values, got %v", option, v)
	}
	if p[0] > maxWindow || p[1] > maxWindow {
		return p, fmt.Errorf("%s takes values up to %d, got %v", option, maxWindow, v)
	}
	return p, nil
}

func pairConfig(p [2]int) []any { return []any{p[0], p[1]} }
