package applications

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// NewFor returns the network rebuilt for other data than MNIST's: taking
// samples of shape input (e.g. 64, 64, 3 for 64×64 RGB pictures) and
// giving classes outputs, its weights drawn from seed, built, not
// compiled. It is what `goras train --data DIR` trains on a folder of
// pictures, as keras.applications' constructors take input_shape and
// classes. See SetShape for what changes; a network that cannot take
// that input (too small for its convolutions and poolings) is an error
// naming the layer and the smallest size to try.
func (s Spec) NewFor(seed uint64, input []int, classes int) (*goras.Model, error) {
	ls, err := SetShape(s.Layers(), input, classes)
	if err != nil {
		return nil, fmt.Errorf("applications: %s: %w", s.Name, err)
	}
	m := goras.NewSequential(ls...)
	m.SetSeed(seed)
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("applications: %s cannot take inputs of shape %s: %s%s",
			s.Name, tensor.ShapeString(input, true), strings.TrimPrefix(err.Error(), "goras: "), s.smallest(input, classes))
	}
	return m, nil
}

// SetShape returns ls, a network's layers starting with layers.Input, with
// the input declared as input and the last Dense layer rebuilt from its
// Keras config with classes units (its activation and every other setting
// kept): the two changes that fit a network to another data set. The
// other layers are shared, not copied. Whether the network can then be
// built on that input is for Build to say.
func SetShape(ls []layers.Layer, input []int, classes int) ([]layers.Layer, error) {
	if len(input) == 0 || slices.ContainsFunc(input, func(d int) bool { return d < 1 }) {
		return nil, fmt.Errorf("input shape %s: want one or more sizes ≥ 1, e.g. (28, 28, 1)", tensor.ShapeString(input, false))
	}
	if classes < 1 {
		return nil, fmt.Errorf("%d classes: want at least 1", classes)
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("no layers")
	}
	if _, ok := ls[0].(*layers.InputLayer); !ok {
		return nil, fmt.Errorf("the first layer is a %s, not an Input declaring the input shape", ls[0].ClassName())
	}
	last := -1
	for i, l := range ls {
		if _, ok := l.(*layers.DenseLayer); ok {
			last = i
		}
	}
	if last < 0 {
		return nil, fmt.Errorf("no Dense layer whose units are the classes")
	}
	out := slices.Clone(ls)
	out[0] = layers.Input(input...)
	cfg := ls[last].Config()
	cfg["units"] = classes
	d, err := layers.FromConfig(ls[last].ClassName(), cfg)
	if err != nil {
		return nil, fmt.Errorf("the last Dense layer with %d units: %w", classes, err)
	}
	out[last] = d
	return out, nil
}

// smallest suggests, for a network that cannot take input, the smallest
// square size of the same channels it can take, up to 1024, or "" when
// none (or when input is not a picture, height, width and channels).
func (s Spec) smallest(input []int, classes int) string {
	if len(input) != 3 {
		return ""
	}
	for side := max(input[0], input[1]) + 1; side <= 1024; side++ {
		ls, err := SetShape(s.Layers(), []int{side, side, input[2]}, classes)
		if err != nil {
			return ""
		}
		if _, err := goras.NewSequential(ls...).WeightShapes(); err == nil {
			return fmt.Sprintf("; the smallest square pictures it takes are %d×%d", side, side)
		}
	}
	return ""
}
