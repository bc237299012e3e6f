package constraints

import (
	"fmt"
	"math"
	"slices"
)

// Constraint projects a weight in place after an optimizer step.
//
// A constraint that can only work on some shapes may also have a method
// CheckShape(shape []int) error, which Check calls (layers call it when they
// make their weights, so that a mistake is an error, not a panic in
// training).
type Constraint interface {
	// Apply projects w, a weight of the given shape (row-major), in place.
	// It does not allocate.
	Apply(w []float32, shape []int)
	// Name is the Keras class name, the class_name of its serialized
	// config: "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm".
	Name() string
	// Config is the Keras get_config. Each call returns a new map.
	Config() map[string]any
}

// Check reports whether c can be applied to a weight of the given shape:
// the error of c's CheckShape method if it has one, else nil.
func Check(c Constraint, shape []int) error {
	if s, ok := c.(interface{ CheckShape(shape []int) error }); ok {
		return s.CheckShape(shape)
	}
	return nil
}

// epsilon is Keras's backend.epsilon(), added to the norms before dividing.
const epsilon = 1e-7

// maxRank is the largest weight rank the norm constraints handle (Conv2D
// kernels have 4).
const maxRank = 8

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// axes is Keras's axis argument: one axis or a list, negative counting from
// the end. scalar keeps the form it was given in, for Config.
type axes struct {
	list   []int
	scalar bool
}

func newAxes(class string, given []int) (axes, error) {
	if len(given) == 0 {
		return axes{[]int{0}, true}, nil // Keras's default, axis=0
	}
	for i, a := range given {
		if slices.Contains(given[:i], a) {
			return axes{}, fmt.Errorf("constraints: %s: axis %d is given twice in %v", class, a, given)
		}
	}
	return axes{slices.Clone(given), len(given) == 1}, nil
}

func (a axes) config() any {
	if a.scalar {
		return a.list[0]
	}
	return slices.Clone(a.list)
}

// check says whether every axis exists in a weight of the given shape.
func (a axes) check(class string, shape []int) error {
	if len(shape) > maxRank {
		return fmt.Errorf("constraints: %s works on weights of rank <= %d, got shape %v", class, maxRank, shape)
	}
	seen := map[int]bool{}
	for _, ax := range a.list {
		k := ax
		if k < 0 {
			k += len(shape)
		}
		if k < 0 || k >= len(shape) {
			return fmt.Errorf("constraints: %s: axis %d does not exist in a weight of shape %v (rank %d; axes run from %d to %d)",
				class, ax, shape, len(shape), -len(shape), len(shape)-1)
		}
		if seen[k] {
			return fmt.Errorf("constraints: %s: axes %v name axis %d twice for a weight of shape %v", class, a.list, k, shape)
		}
		seen[k] = true
	}
	return nil
}

// odometer walks the offsets of a multi-index over some axes of a
// row-major tensor, the last axis fastest.
type odometer struct {
	n            int
	size, stride [maxRank]int
	idx          [maxRank]int
	off, count   int
}

func (o *odometer) reset() { o.idx, o.off = [maxRank]int{}, 0 }

func (o *odometer) next() {
	for i := o.n - 1; i >= 0; i-- {
		o.idx[i]++
		o.off += o.stride[i]
		if o.idx[i] < o.size[i] {
			return
		}
		o.off -= o.stride[i] * o.size[i]
		o.idx[i] = 0
	}
}

// scaleNorms multiplies each slice of w along the axes (every element with
// the same index on the other axes) by desired(n)/(n+ε), n its L2 norm,
// summed in float64. It panics if the axes do not fit the shape (Check
// first) and allocates nothing.
func scaleNorms(class string, w []float32, shape []int, a axes, desired func(n float64) float64) {
	if err := a.check(class, shape); err != nil {
		panic(err.Error())
	}
	var reduced, kept odometer
	reduced.count, kept.count = 1, 1
	stride := 1
	for i := len(shape) - 1; i >= 0; i-- {
		o := &kept
		for _, ax := range a.list {
			if ax == i || ax+len(shape) == i {
				o = &reduced
			}
		}
		// Axes are added last-first; shift them so that index 0 is the
		// outermost.
		copy(o.size[1:], o.size[:o.n])
		copy(o.stride[1:], o.stride[:o.n])
		o.size[0], o.stride[0] = shape[i], stride
		o.n++
		o.count *= shape[i]
		stride *= shape[i]
	}
	if stride != len(w) {
		panic(fmt.Sprintf("constraints: %s.Apply: %d values for a weight of shape %v", class, len(w), shape))
	}
	for g := 0; g < kept.count; g++ {
		var ss float64
		reduced.reset()
		for r := 0; r < reduced.count; r++ {
			x := float64(w[kept.off+reduced.off])
			ss += x * x
			reduced.next()
		}
		n := math.Sqrt(ss)
		s := float32(desired(n) / (epsilon + n))
		reduced.reset()
		for r := 0; r < reduced.count; r++ {
			w[kept.off+reduced.off] *= s
			reduced.next()
		}
		kept.next()
	}
}
