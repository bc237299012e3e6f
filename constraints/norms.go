package constraints

import "fmt"

// maxNorm is Keras's MaxNorm.
type maxNorm struct {
	max  float64
	axes axes
}

// MaxNorm scales the slices of a weight whose L2 norm along axis exceeds
// maxValue down to norm maxValue (Keras's MaxNorm(max_value=2, axis=0)):
// w *= clip(n, 0, maxValue)/(n + 1e-7). axis defaults to 0; several axes
// take the norm over all of them (Conv2D kernels: 0, 1, 2). It panics if
// maxValue is negative or not finite or an axis is repeated.
func MaxNorm(maxValue float64, axis ...int) Constraint { return must(newMaxNorm(maxValue, axis)) }

func newMaxNorm(maxValue float64, axis []int) (Constraint, error) {
	if !finite(maxValue) || maxValue < 0 {
		return nil, fmt.Errorf("constraints: MaxNorm: max_value must be a finite number >= 0, got %v", maxValue)
	}
	a, err := newAxes("MaxNorm", axis)
	if err != nil {
		return nil, err
	}
	return &maxNorm{maxValue, a}, nil
}

func (c *maxNorm) Apply(w []float32, shape []int) {
	scaleNorms("MaxNorm", w, shape, c.axes, c.desired)
}

func (c *maxNorm) desired(n float64) float64 { return min(max(n, 0), c.max) }

func (c *maxNorm) CheckShape(shape []int) error { return c.axes.check("MaxNorm", shape) }

func (c *maxNorm) Name() string { return "MaxNorm" }

func (c *maxNorm) Config() map[string]any {
	return map[string]any{"max_value": c.max, "axis": c.axes.config()}
}

// minMaxNorm is Keras's MinMaxNorm.
type minMaxNorm struct {
	min, max, rate float64
	axes           axes
}

// MinMaxNorm moves the L2 norm n of each slice along axis towards
// [minValue, maxValue] (Keras's MinMaxNorm(min_value=0, max_value=1,
// rate=1, axis=0)): the desired norm is rate·clip(n, minValue, maxValue) +
// (1-rate)·n, and w *= desired/(n + 1e-7). rate 1 enforces the bounds at
// once, smaller rates step towards them. It panics unless 0 <= minValue <=
// maxValue and 0 <= rate <= 1 (all finite), or if an axis is repeated.
func MinMaxNorm(minValue, maxValue, rate float64, axis ...int) Constraint {
	return must(newMinMaxNorm(minValue, maxValue, rate, axis))
}

func newMinMaxNorm(minValue, maxValue, rate float64, axis []int) (Constraint, error) {
	switch {
	case !finite(minValue) || !finite(maxValue) || minValue < 0 || minValue > maxValue:
		return nil, fmt.Errorf("constraints: MinMaxNorm: want finite 0 <= min_value <= max_value, got min_value %v, max_value %v", minValue, maxValue)
	case !finite(rate) || rate < 0 || rate > 1:
		return nil, fmt.Errorf("constraints: MinMaxNorm: rate must be in [0, 1], got %v", rate)
	}
	a, err := newAxes("MinMaxNorm", axis)
	if err != nil {
		return nil, err
	}
	return &minMaxNorm{minValue, maxValue, rate, a}, nil
}

func (c *minMaxNorm) Apply(w []float32, shape []int) {
	scaleNorms("MinMaxNorm", w, shape, c.axes, c.desired)
}

func (c *minMaxNorm) desired(n float64) float64 {
	return c.rate*min(max(n, c.min), c.max) + (1-c.rate)*n
}

func (c *minMaxNorm) CheckShape(shape []int) error { return c.axes.check("MinMaxNorm", shape) }

func (c *minMaxNorm) Name() string { return "MinMaxNorm" }

func (c *minMaxNorm) Config() map[string]any {
	return map[string]any{"min_value": c.min, "max_value": c.max, "rate": c.rate, "axis": c.axes.config()}
}

// unitNorm is Keras's UnitNorm.
type unitNorm struct{ axes axes }

// UnitNorm scales each slice along axis to L2 norm 1 (Keras's
// UnitNorm(axis=0)): w /= n + 1e-7. axis defaults to 0. It panics if an
// axis is repeated.
func UnitNorm(axis ...int) Constraint { return must(newUnitNorm(axis)) }

func newUnitNorm(axis []int) (Constraint, error) {
	a, err := newAxes("UnitNorm", axis)
	if err != nil {
		return nil, err
	}
	return &unitNorm{a}, nil
}

func (c *unitNorm) Apply(w []float32, shape []int) {
	scaleNorms("UnitNorm", w, shape, c.axes, one)
}

func one(float64) float64 { return 1 }

func (c *unitNorm) CheckShape(shape []int) error { return c.axes.check("UnitNorm", shape) }

func (c *unitNorm) Name() string { return "UnitNorm" }

func (c *unitNorm) Config() map[string]any { return map[string]any{"axis": c.axes.config()} }

// nonNeg is Keras's NonNeg.
type nonNeg struct{}

// NonNeg sets negative weights to zero (Keras's NonNeg: w * (w >= 0), so a
// negative weight becomes -0 and NaN stays NaN, as there).
func NonNeg() Constraint { return nonNeg{} }

func (nonNeg) Apply(w []float32, _ []int) {
	for i, x := range w {
		if !(x >= 0) {
			w[i] = x * 0
		}
	}
}

func (nonNeg) Name() string { return "NonNeg" }

func (nonNeg) Config() map[string]any { return map[string]any{} }

// must turns a constructor's validation error into a panic: arguments
// written in Go code are programmer input. FromConfig returns the error.
func must(c Constraint, err error) Constraint {
	if err != nil {
		panic(err.Error())
	}
	return c
}
