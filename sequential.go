package goras

import (
	"errors"

	"github.com/goras-ml/goras/layers"
)

// NewSequential stacks layers in order, as keras.Sequential. The first
// should be layers.Input, which declares the per-sample input shape, as
// keras.Input does. The stack becomes a graph model (one chain of layer
// calls) when it is built, so everything a Model does, it does.
func NewSequential(ls ...layers.Layer) *Model {
	m := &Model{name: "sequential", sequential: true}
	for _, l := range ls {
		m.Add(l)
	}
	return m
}

// Add appends a layer to a Sequential model. Adding to a built model
// rebuilds it, with new weights. On a functional model (NewModel) it records
// an error that Build reports: its graph is fixed by its inputs and outputs.
func (m *Model) Add(l layers.Layer) {
	if !m.sequential {
		m.graphErr = errors.New("goras: Add works on Sequential models only; a functional model is fixed by the inputs and outputs given to NewModel")
		return
	}
	m.stack = append(m.stack, l)
	m.invalidate()
}

// stackLayers is the stack without its Input declaration.
func stackLayers(stack []layers.Layer) []layers.Layer {
	if len(stack) > 0 {
		if _, ok := stack[0].(*layers.InputLayer); ok {
			return stack[1:]
		}
	}
	return stack
}

// stackGraph makes the chain of calls of a Sequential model.
func (m *Model) stackGraph() error {
	if len(m.stack) == 0 {
		return errNoInput
	}
	in, ok := m.stack[0].(*layers.InputLayer)
	if !ok {
		return errNoInput
	}
	ls := stackLayers(m.stack)
	if len(ls) == 0 {
		return errors.New("goras: the model has no layers; add some after layers.Input")
	}
	first := inputNode(in)
	x := first
	for _, l := range ls {
		x = Call(l, x)
	}
	return m.setGraph([]*KerasTensor{first}, []*KerasTensor{x})
}
