package layers

import "fmt"

// Options of the windowed layers: Conv2D, MaxPooling2D, AveragePooling2D.
// Sizes take one value (a square, as Keras's kernel_size=3) or two (rows,
// columns, as kernel_size=(3, 5)).

// WithKernelSize sets a convolution's window: one value for a square
// kernel, two for (rows, columns). It replaces the size given to Conv2D, so
// Conv2D(8, 3, WithKernelSize(3, 5)) has a 3×5 kernel.
func WithKernelSize(size ...int) Option {
	return func(o *options) { o.mark("kernel_size"); o.kernelSize = append([]int(nil), size...) }
}

// WithStrides sets how far the window moves between outputs: one value for
// both axes, two for (rows, columns). Default 1 for Conv2D; for pooling the
// default is the pool size, as Keras's strides=None.
func WithStrides(strides ...int) Option {
	return func(o *options) { o.mark("strides"); o.strides = append([]int(nil), strides...) }
}

// WithPoolSize sets a pooling window: one value for a square, two for
// (rows, columns). Default (2, 2) for MaxPooling2D; it replaces the size
// given to AveragePooling2D.
func WithPoolSize(size ...int) Option {
	return func(o *options) { o.mark("pool_size"); o.poolSize = append([]int(nil), size...) }
}

// WithPadding sets how a window treats the image border, in any case:
//
//   - "valid" (default): no padding; windows stay inside the image, so the
//     output is ⌊(in - k)/stride⌋ + 1 long;
//   - "same": the image is padded so that the output is ⌈in/stride⌉ long
//     (the input's size at stride 1), with the extra pixel of an odd
//     padding at the bottom/right, as TensorFlow and Keras. Convolution pads
//     with zeros; max pooling ignores the padding; average pooling divides by
//     the number of real cells in each window.
func WithPadding(padding string) Option {
	return func(o *options) { o.mark("padding"); o.padding = padding }
}

// windowOptions resolves the window, strides and padding options of a
// layer. size is the layer's positional window size (0 when it has none),
// option the name of the option that overrides it, and def the window when
// neither is given. Strides default to stride, or to the window when stride
// is 0.
func windowOptions(class string, o *options, size int, option string, def [2]int, stride int) (window, strides [2]int, padding string, err error) {
	window = def
	if size != 0 {
		if size < 0 {
			return window, strides, "", fmt.Errorf("%s needs a positive window size, got %d", class, size)
		}
		if size > maxWindow { // as pair
			return window, strides, "", fmt.Errorf("%s takes a window size up to %d, got %d", class, maxWindow, size)
		}
		window = [2]int{size, size}
	}
	given := o.kernelSize
	if option == "WithPoolSize" {
		given = o.poolSize
	}
	if given != nil {
		if window, err = pair(option, given); err != nil {
			return window, strides, "", fmt.Errorf("%s: %v", class, err)
		}
	}
	if window[0] == 0 {
		return window, strides, "", fmt.Errorf("%s needs a window size", class)
	}
	strides = [2]int{stride, stride}
	if stride == 0 {
		strides = window
	}
	if o.strides != nil {
		if strides, err = pair("WithStrides", o.strides); err != nil {
			return window, strides, "", fmt.Errorf("%s: %v", class, err)
		}
	}
	padding = paddingValid
	if o.padding != "" {
		if padding, err = parsePadding(class, o.padding); err != nil {
			return window, strides, "", err
		}
	}
	return window, strides, padding, nil
}
