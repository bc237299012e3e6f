package layers

import "slices"

// The window keys of the convolutions' Keras configs: kernel_size,
// strides, padding, data_format and dilation_rate. convWindowConfig writes
// them for the 2-D convolutions, and convWindowOptions reads them back for
// those that take WithDilationRate, in one or two dimensions (Conv2D, which
// does not, reads its own).

// convWindowConfig adds a 2-D convolution's window keys to the rest of its
// config, config.
func convWindowConfig(window, strides, dilation [2]int, padding string, config map[string]any) map[string]any {
	config["kernel_size"] = pairConfig(window)
	config["strides"] = pairConfig(strides)
	config["padding"] = padding
	config["data_format"] = "channels_last"
	config["dilation_rate"] = pairConfig(dilation)
	return config
}

// convWindowOptions reads the window keys of a convolution's Keras config,
// in this order and with Keras's defaults: kernel_size, strides, padding
// and dilation_rate, the sizes each an integer or a list of dims of them,
// as Keras writes an int or a tuple (data_format each layer accepts on its
// own, last). It returns them as one ConvOption, for the convolutions that
// take WithDilationRate, in one dimension or two.
func (r *ConfigReader) convWindowOptions(dims int) ConvOption {
	ones := slices.Repeat([]int{1}, dims)
	opts := []ConvOption{
		WithKernelSize(r.Ints("kernel_size", make([]int, dims), dims)...),
		WithStrides(r.Ints("strides", ones, dims)...),
		WithPadding(r.String("padding", paddingValid)),
		WithDilationRate(r.Ints("dilation_rate", ones, dims)...),
	}
	return convOption(func(c *convConfig) {
		for _, o := range opts {
			o.applyConv(c)
		}
	})
}
