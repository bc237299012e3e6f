package goras

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goras-ml/goras/tensor"
)

// SetClassNames names what each unit of the model's output means, index i
// naming class i: a folder's class names for a model trained on
// datasets/imagefolder, fashionmnist.ClassNames() for Fashion-MNIST.
// Keras keeps them beside the model (the data set's class_names); goras
// keeps them in the model, so that they travel with it: saving.Save and
// checkpoints write them, saving.Load reads them back, and `goras predict`
// answers with them.
//
// There must be one name per output unit: len(names) equals the last
// dimension of the (first) output's shape, or the error names both counts.
// It builds the model if needed, as Config does, to know that shape. nil
// (or an empty list) removes the names. The model keeps a copy of names.
func (m *Model) SetClassNames(names []string) error {
	if len(names) == 0 {
		m.classNames = nil
		return nil
	}
	if err := m.Build(); err != nil {
		return err
	}
	out := m.OutputShape()
	if len(out) == 0 || out[len(out)-1] != len(names) {
		units := 0
		if len(out) > 0 {
			units = out[len(out)-1]
		}
		return fmt.Errorf("goras: %d class names (%s) for a model whose output has %d units (shape %s); give one name per output unit",
			len(names), shortList(names, 5), units, tensor.ShapeString(out, true))
	}
	m.classNames = slices.Clone(names)
	return nil
}

// ClassNames returns the names SetClassNames gave the classes, index i
// naming class i, or nil when the model has none (e.g. a model of MNIST's
// digits, whose class indices name themselves). The slice is a copy.
func (m *Model) ClassNames() []string { return slices.Clone(m.classNames) }

// shortList quotes the first max names, then says how many more there are.
func shortList(names []string, max int) string {
	quoted := make([]string, 0, min(len(names), max)+1)
	for _, n := range names[:min(len(names), max)] {
		quoted = append(quoted, fmt.Sprintf("%q", n))
	}
	if len(names) > max {
		quoted = append(quoted, fmt.Sprintf("and %d more", len(names)-max))
	}
	return strings.Join(quoted, ", ")
}
