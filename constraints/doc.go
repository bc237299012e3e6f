// Package constraints holds Keras's weight constraints (keras.constraints):
// projections applied to a weight after each optimizer step, set on a layer
// with layers.WithKernelConstraint and layers.WithBiasConstraint.
//
//	MaxNorm(maxValue, axis...)              norms above maxValue scaled down to it
//	MinMaxNorm(minValue, maxValue, rate, axis...)  norms moved towards [minValue, maxValue]
//	NonNeg()                                negative weights set to 0
//	UnitNorm(axis...)                       norms scaled to 1
//
// The norms are L2 norms over the given axes (Keras's axis, default 0): for
// a Dense kernel (in, units), axis 0 constrains the weights into each unit;
// for a Conv2D kernel (kh, kw, in, filters), axes 0, 1, 2 constrain each
// filter. As in Keras, a norm n becomes desired(n) by scaling w by
// desired(n)/(n + 1e-7) (Keras's epsilon), so even a norm within bounds is
// multiplied by n/(n+1e-7).
//
// Apply works on the raw []float32 of a weight and never allocates, so a
// compiled training step can call it every batch. Each constraint has one
// description, Keras's class_name and get_config (Name and Config;
// Serialize writes them as a layer config holds them), and one way back,
// FromConfig, through the registry that Register adds constraints of one's
// own to.
package constraints
