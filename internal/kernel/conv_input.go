package kernel

import "fmt"

// A convolution can read its input through the batch normalization before
// it: with SetInputAffine, x is the normalization's input and the
// convolution reads relu(x·scale + shift) per channel (or x·scale + shift)
// wherever it reads x. In a training step of Conv2D → BatchNormalization →
// ReLU → Conv2D, the normalization would write its output (the
// activation) for the whole batch, and the next convolution copy it back
// a few rows at a time onto its padded grid, in Forward and again in
// Backward for the weight gradient: the activation is a pass over memory
// each way (for the bounty CNN's first block, 12 MiB a step). Here the
// convolution computes each row of it where it pads it (padRows), in the
// cache, and the activation is never written.
//
// The values are those of ChannelAffine or ChannelAffineReLU, the loops
// of the normalization's own pass: the same two roundings of the same
// operands, so every output and gradient keeps its bits.

// inputAffine is the map SetInputAffine installed.
type inputAffine struct {
	scale, shift []float32
	relu         bool
}

// ReadsAffine reports whether the convolution can take SetInputAffine: on
// the shifted path with padding, where every read of x copies it first.
func (cv *Conv2D) ReadsAffine() bool { return cv.shifted && cv.padded }

// SetInputAffine makes Forward, Backward and BackwardBN read, in place of
// each input value x[.., c], x[.., c]·scale[c] + shift[c], or its ReLU
// with relu. scale and shift (one value per input channel) are read at
// each call, so the caller may change their values between calls. A nil
// scale turns the map off. It panics where ReadsAffine is false, or with
// coefficients of the wrong length. ForwardAffine (inference) does not
// take the map and panics while one is set.
func (cv *Conv2D) SetInputAffine(scale, shift []float32, relu bool) {
	if scale != nil && !cv.ReadsAffine() {
		panic(fmt.Sprintf("kernel: Conv2D.SetInputAffine: the convolution of %v reads x in place; it has no copy to map", cv.win))
	}
	cv.setInputAffine("Conv2D.SetInputAffine", scale, shift, relu)
}

// setInputAffine is SetInputAffine once the path takes the map (op names
// the caller): Conv2D's and Conv2DBF16's.
func (cv *Conv2D) setInputAffine(op string, scale, shift []float32, relu bool) {
	switch {
	case scale == nil:
		cv.in = nil
	case len(scale) != cv.c || len(shift) != cv.c:
		panic(fmt.Sprintf("kernel: %s: scale and shift have %d and %d values, want %d (the input channels)", op, len(scale), len(shift), cv.c))
	default:
		cv.in = &inputAffine{scale: scale, shift: shift, relu: relu}
	}
}

// inputRow writes one row of x (pixels·C values) into d, through the map
// when one is set.
func (cv *Conv2D) inputRow(d, x []float32) {
	if in := cv.in; in != nil {
		channelMap(d, x, in.scale, in.shift, len(x)/cv.c, cv.c, in.relu)
	} else {
		copy(d, x)
	}
}

// channelMap is ChannelAffine, or ChannelAffineReLU with relu, of rows
// rows of n channels: their assembly loops first, since the exported
// functions check their operands at each call, which their callers here
// make once per row or pair of rows.
func channelMap(d, x, scale, shift []float32, rows, n int, relu bool) {
	switch {
	case relu:
		if !affineReLURows(d, x, scale, shift, rows, n) {
			ChannelAffineReLU(d, x, scale, shift, rows, n)
		}
	case !affineRows(d, x, scale, shift, rows, n):
		ChannelAffine(d, x, scale, shift, rows, n)
	}
}
