package layers

import "github.com/goras-ml/goras/autograd"

// depthwiseWindow is the depthwise convolution that DepthwiseConv2D is and
// that SeparableConv2D starts with: depth_multiplier filters for each input
// channel, over a window with strides, a dilation and a padding. Both
// layers embed it, so that its sizes and its placement on an input are
// worked out in one place.
type depthwiseWindow struct {
	window, strides, dilation [2]int
	padding                   string
	multiplier                int
	pads                      pads // worked out by place
}

// resolve sets the window from the options of a layer of the given class:
// kernelSize or WithKernelSize, WithStrides (default 1), WithPadding and
// WithDilationRate (default 1).
func (d *depthwiseWindow) resolve(class string, o *options, c *convConfig, kernelSize int) (err error) {
	if d.window, d.strides, d.padding, err = windowOptions(class, o, kernelSize, "WithKernelSize", [2]int{}, 1); err != nil {
		return err
	}
	d.dilation, err = c.dilationPair(class)
	return err
}

// span is the window with its dilation, as the padding sees it.
func (d *depthwiseWindow) span() [2]int {
	return [2]int{dilated(d.window[0], d.dilation[0]), dilated(d.window[1], d.dilation[1])}
}

// depthwiseShapes checks a per-sample input (H, W, C) for the layer l (what
// names the window in its errors), and gives the depthwise kernel, named
// as l names it, (KH, KW, C, M), and the output shape (OH, OW, C·M).
func (d *depthwiseWindow) depthwiseShapes(l Layer, input []int, what string) (kernel ParamShape, out []int, err error) {
	if err := checkImage(l, input, d.span(), d.padding, what); err != nil {
		return ParamShape{}, nil, err
	}
	if input[2] > maxChannels/d.multiplier {
		return ParamShape{}, nil, buildError(l, "%d channels × depth multiplier %d is too many channels", input[2], d.multiplier)
	}
	oh, ow, _ := window2D(input[0], input[1], d.span(), d.strides, d.padding)
	kernel = ParamShape{l.Name() + "/depthwise_kernel", []int{d.window[0], d.window[1], input[2], d.multiplier}}
	return kernel, []int{oh, ow, input[2] * d.multiplier}, nil
}

// place works out the padding for an input (H, W, C), which Build has
// checked with depthwiseShapes.
func (d *depthwiseWindow) place(input []int) {
	_, _, d.pads = window2D(input[0], input[1], d.span(), d.strides, d.padding)
}

// geometry is the strides, dilations and padding the DepthwiseConv2D op
// takes, once place has worked out the padding.
func (d *depthwiseWindow) geometry() autograd.Conv2DGeometry {
	return autograd.Conv2DGeometry{StrideH: d.strides[0], StrideW: d.strides[1], DilationH: d.dilation[0], DilationW: d.dilation[1],
		PadTop: d.pads.top, PadBottom: d.pads.bottom, PadLeft: d.pads.left, PadRight: d.pads.right}
}

// config adds the window's Keras config keys, and depth_multiplier, to
// the rest of a layer's config.
func (d *depthwiseWindow) config(config map[string]any) map[string]any {
	config["depth_multiplier"] = d.multiplier
	return convWindowConfig(d.window, d.strides, d.dilation, d.padding, config)
}
