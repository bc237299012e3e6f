package layers

import "fmt"

// ConvOption configures DepthwiseConv2D and Conv2DTranspose: the common
// options each lists (WithStrides, WithPadding, WithActivation, ...) and
// the ones only they take, WithDilationRate, WithDepthMultiplier and
// WithOutputPadding.
type ConvOption interface{ applyConv(*convConfig) }

// convConfig is what the options of DepthwiseConv2D and Conv2DTranspose set
// beyond the common options.
type convConfig struct {
	dilation      []int // WithDilationRate; nil means (1, 1)
	multiplier    int   // WithDepthMultiplier; 0 means 1
	outputPadding []int // WithOutputPadding; nil means Keras's None
	set           []string
	common        []Option
}

// applyConv lets the common options configure DepthwiseConv2D and
// Conv2DTranspose too.
func (o Option) applyConv(c *convConfig) { c.common = append(c.common, o) }

type convOption func(*convConfig)

func (f convOption) applyConv(c *convConfig) { f(c) }

// WithDilationRate spaces the taps of a kernel: rate d leaves d-1 cells
// between two taps, so that a 3×3 kernel at rate 2 covers 5×5 cells. One
// value for both axes, two for (rows, columns). Default 1.
func WithDilationRate(rate ...int) ConvOption {
	return convOption(func(c *convConfig) {
		c.set = append(c.set, "dilation_rate")
		c.dilation = append([]int(nil), rate...)
	})
}

// WithDepthMultiplier sets how many filters DepthwiseConv2D applies to each
// input channel: the output has channels·m channels. Default 1.
func WithDepthMultiplier(m int) ConvOption {
	return convOption(func(c *convConfig) { c.set = append(c.set, "depth_multiplier"); c.multiplier = m })
}

// WithOutputPadding adds rows and columns at the bottom and right of
// Conv2DTranspose's output (its padding must be "valid"), each less than
// the stride: one value for both axes, two for (rows, columns). Default
// none, Keras's None (see Conv2DTranspose for the output size).
func WithOutputPadding(p ...int) ConvOption {
	return convOption(func(c *convConfig) {
		c.set = append(c.set, "output_padding")
		c.outputPadding = append([]int(nil), p...)
	})
}

// convOptions splits opts into the common options, which apply reads with
// the allowed keys, and the convolution-only ones, of which only those in
// own may be given.
func convOptions(class string, opts []ConvOption, own []string, allowed ...string) (*options, *convConfig, error) {
	c := &convConfig{}
	for _, o := range opts {
		if o != nil {
			o.applyConv(c)
		}
	}
	o, err := apply(class, c.common, allowed...)
	if err != nil {
		return o, c, err
	}
	for _, key := range c.set {
		found := false
		for _, k := range own {
			found = found || k == key
		}
		if !found {
			return o, c, fmt.Errorf("%s does not take the option %s", class, key)
		}
	}
	return o, c, nil
}

// dilationPair resolves WithDilationRate, (1, 1) when not given.
func (c *convConfig) dilationPair(class string) ([2]int, error) {
	if c.dilation == nil {
		return [2]int{1, 1}, nil
	}
	d, err := pair("WithDilationRate", c.dilation)
	if err != nil {
		return d, fmt.Errorf("%s: %v", class, err)
	}
	return d, nil
}

// dilated is the span of a k-tap window at rate d: d·(k-1) + 1 cells.
func dilated(k, d int) int { return d*(k-1) + 1 }
