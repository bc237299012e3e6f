package goras

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// KerasTensor is a symbolic tensor of the functional API, as Keras's
// KerasTensor: what Input returns and what calling a layer on symbolic
// tensors returns. It holds no numbers; it records which layer made it
// from which tensors, so that NewModel can make a model of the calls.
type KerasTensor struct {
	layer  layers.Layer // the layer called, an *layers.InputLayer for an input
	inputs []*KerasTensor
	shape  []int // per-sample shape, known once a model holding it is built
	err    error // a mistake in this call or an earlier one
}

// Input declares a model input of the given per-sample shape (no batch
// axis), as keras.Input: Input(28, 28, 1) for a digit with one channel.
func Input(shape ...int) *KerasTensor {
	return inputNode(layers.Input(shape...))
}

func inputNode(l *layers.InputLayer) *KerasTensor {
	return &KerasTensor{layer: l, shape: l.Shape()}
}

// Call applies a layer to symbolic tensors and returns its symbolic output,
// as calling a Keras layer does: x = goras.Call(layers.Dense(64), x). A
// layer called twice is one layer: both calls share its weights, and its
// gradient is the sum over the calls. Merge layers (layers.Add,
// layers.Concatenate, ...) take several inputs, every other layer one.
// Mistakes are reported by NewModel.
func Call(l layers.Layer, inputs ...*KerasTensor) *KerasTensor {
	t := &KerasTensor{layer: l, inputs: inputs}
	for _, in := range inputs {
		switch {
		case in == nil:
			t.err = fmt.Errorf("goras: a nil tensor was given to layer %s", describe(l))
		case in.err != nil:
			t.err = in.err
		}
		if t.err != nil {
			return t
		}
	}
	_, multi := l.(layers.MultiInput)
	switch {
	case l == nil:
		t.err = fmt.Errorf("goras: Call of a nil layer")
	case len(inputs) == 0:
		t.err = fmt.Errorf("goras: layer %s was called on no tensor", describe(l))
	case isInput(l):
		t.err = fmt.Errorf("goras: an InputLayer cannot be called; use goras.Input(shape...) for a model input")
	case len(inputs) > 1 && !multi:
		t.err = fmt.Errorf("goras: layer %s takes one input, got %d; merge them first with layers.Concatenate() or layers.Add()", describe(l), len(inputs))
	}
	return t
}

// Shape is the per-sample shape (no batch axis), known once a model that
// holds the tensor is built (NewModel builds it).
func (t *KerasTensor) Shape() []int { return t.shape }

// Layer is the layer whose call made the tensor (an *layers.InputLayer for
// an input).
func (t *KerasTensor) Layer() layers.Layer { return t.layer }

// Inputs are the tensors the layer was called on (none for an input).
func (t *KerasTensor) Inputs() []*KerasTensor { return t.inputs }

// Nodes lists every layer call of a built model, in an order where each
// comes after the calls whose outputs it reads (the inputs themselves are
// Inputs). A layer called twice appears twice. Exporters (ONNX) and
// pictures of the graph walk it.
func (m *Model) Nodes() []*KerasTensor { return m.nodes }

func describe(l layers.Layer) string {
	if l == nil {
		return "<nil>"
	}
	if l.Name() != "" {
		return fmt.Sprintf("%q (%s)", l.Name(), l.ClassName())
	}
	return l.ClassName()
}

func isInput(l layers.Layer) bool {
	_, ok := l.(*layers.InputLayer)
	return ok
}

// NewModel makes a model of the layer calls that lead from inputs to
// outputs, as keras.Model(inputs, outputs) (Keras calls it a Functional
// model). It builds the model with seed 0, so that shape mistakes are
// reported here; SetSeed draws the weights again.
func NewModel(inputs, outputs []*KerasTensor) (*Model, error) {
	m := &Model{name: "functional"}
	if err := m.setGraph(inputs, outputs); err != nil {
		return nil, err
	}
	if err := m.Build(); err != nil {
		return nil, err
	}
	return m, nil
}

// setGraph orders the calls that lead to outputs so that every call comes
// after the calls it reads, checks that they start from inputs, and names
// the layers.
func (m *Model) setGraph(inputs, outputs []*KerasTensor) error {
	if len(inputs) == 0 || len(outputs) == 0 {
		return fmt.Errorf("goras: a model needs at least one input and one output, got %d and %d", len(inputs), len(outputs))
	}
	for i, in := range inputs {
		if in == nil || !isInput(in.layer) {
			return fmt.Errorf("goras: model input %d is not a tensor made by goras.Input", i)
		}
		if slices.Index(inputs, in) != i {
			return fmt.Errorf("goras: model input %d is given twice", i)
		}
	}
	var order []*KerasTensor
	seen := map[*KerasTensor]bool{}
	var visit func(t *KerasTensor) error
	visit = func(t *KerasTensor) error {
		if seen[t] {
			return nil
		}
		seen[t] = true
		if isInput(t.layer) {
			if !slices.Contains(inputs, t) {
				return fmt.Errorf("goras: the outputs depend on an input of shape %s that is not among the model's inputs (graph disconnected); add it to NewModel's inputs", tensor.ShapeString(t.shape, true))
			}
			return nil
		}
		for _, in := range t.inputs {
			if err := visit(in); err != nil {
				return err
			}
		}
		order = append(order, t)
		return nil
	}
	for i, out := range outputs {
		switch {
		case out == nil:
			return fmt.Errorf("goras: model output %d is nil", i)
		case out.err != nil:
			return out.err
		}
		if err := visit(out); err != nil {
			return err
		}
	}
	var ls []layers.Layer
	listed := map[layers.Layer]bool{} // a layer called twice is listed once
	for _, t := range order {
		if !listed[t.layer] {
			listed[t.layer] = true
			ls = append(ls, t.layer)
		}
	}
	named := ls
	if !m.sequential {
		named = append(inputLayers(inputs), ls...)
	}
	if err := nameLayers(named); err != nil {
		return err
	}
	m.inputs, m.outputs, m.nodes, m.layers = inputs, outputs, order, ls
	return nil
}

func inputLayers(ts []*KerasTensor) []layers.Layer {
	ls := make([]layers.Layer, len(ts))
	for i, t := range ts {
		ls[i] = t.layer
	}
	return ls
}

// maxSampleValues bounds the values one sample may have at any layer's
// output (256 Mi floats, 1 GiB): a model declaring more comes from a typo
// or a hostile file, and would exhaust memory at its first batch.
const maxSampleValues = 1 << 28

// buildGraph works out every call's output shape and makes the weights,
// drawing from rng layer by layer in call order. A layer called again must
// see the input shapes of its first call. With dry set it makes no weight
// where a layer can tell their shapes (layers.ParamShaper) and returns
// every weight's name and shape instead.
func (m *Model) buildGraph(rng *rand.Rand, dry bool) ([]layers.ParamShape, error) {
	for _, in := range m.inputs {
		shape, err := in.layer.Build(nil, nil)
		if err != nil {
			return nil, err
		}
		if err := checkSampleSize(in.layer, shape); err != nil {
			return nil, err
		}
		in.shape = shape
	}
	firstIn := map[layers.Layer][][]int{}
	firstOut := map[layers.Layer][]int{}
	var weights []layers.ParamShape
	for _, t := range m.nodes {
		shapes := make([][]int, len(t.inputs))
		for i, in := range t.inputs {
			shapes[i] = in.shape
		}
		if prev, ok := firstIn[t.layer]; ok {
			if !sameShapes(prev, shapes) {
				return nil, fmt.Errorf("layer %s is called on inputs of shape %s, but was built by its first call for %s; a shared layer needs inputs of one shape", describe(t.layer), shapesString(shapes), shapesString(prev))
			}
			t.shape = firstOut[t.layer]
			continue
		}
		out, ws, err := buildLayer(t.layer, shapes, rng, dry)
		if err != nil {
			return nil, err
		}
		if err := checkSampleSize(t.layer, out); err != nil {
			return nil, err
		}
		weights = append(weights, ws...)
		t.shape = out
		firstIn[t.layer], firstOut[t.layer] = shapes, out
	}
	if dry {
		return weights, nil
	}
	m.params = m.params[:0]
	for _, l := range m.layers {
		m.params = append(m.params, l.Params()...)
	}
	return nil, nil
}

// buildLayer builds one layer for its input shapes, or with dry set only
// works out its weights' shapes when it can.
func buildLayer(l layers.Layer, shapes [][]int, rng *rand.Rand, dry bool) ([]int, []layers.ParamShape, error) {
	if ps, ok := l.(layers.ParamShaper); ok && len(shapes) == 1 {
		// The sizes are checked before any weight is made: the output's,
		// as buildGraph does, then the weights'.
		ws, out, err := ps.ParamShapes(shapes[0])
		if err == nil {
			err = checkSampleSize(l, out)
		}
		if err == nil {
			err = checkWeightSizes(l, ws)
		}
		if err != nil || dry {
			return out, ws, err
		}
	}
	var out []int
	var err error
	if ml, ok := l.(layers.MultiInput); ok {
		out, err = ml.BuildMulti(shapes, rng)
	} else {
		out, err = l.Build(shapes[0], rng)
	}
	if err != nil || !dry {
		return out, nil, err
	}
	var ws []layers.ParamShape
	for _, p := range l.Params() {
		ws = append(ws, layers.ParamShape{Name: p.Name, Shape: p.Value.Shape()})
	}
	return out, ws, nil
}

func checkSampleSize(l layers.Layer, shape []int) error {
	if !within(shape, maxSampleValues) {
		return fmt.Errorf("layer %s would make samples of shape %s, more than %d values each", describe(l), tensor.ShapeString(shape, true), maxSampleValues)
	}
	return nil
}

// within reports whether shape's sizes are positive and hold at most limit
// values, multiplied so that no product overflows.
func within(shape []int, limit int) bool {
	n := 1
	for _, d := range shape {
		if d <= 0 || n > limit/d {
			return false
		}
		n *= d
	}
	return true
}

// maxWeightValues bounds the values of one weight (1 Gi floats, 4 GiB):
// a kernel larger comes from a typo, such as a kernel size larger than the
// image with padding "same", and its size may not even fit an int (a
// 2³¹×2³¹ kernel made a tensor of no values, whose first use divided by
// zero).
const maxWeightValues = 1 << 30

func checkWeightSizes(l layers.Layer, ws []layers.ParamShape) error {
	for _, w := range ws {
		if !within(w.Shape, maxWeightValues) {
			return fmt.Errorf("layer %s would make a weight %s of shape %s, more than %d values; check its sizes (kernel size, units, filters)", describe(l), w.Name, tensor.ShapeString(w.Shape, false), maxWeightValues)
		}
	}
	return nil
}

// WeightShapes lists the name and shape of every weight the built model
// would have, without making the weights of the layers that can tell them
// (layers.ParamShaper: Dense, Conv2D, BatchNormalization, ...). Model files
// are checked against it before anything is allocated.
func (m *Model) WeightShapes() ([]layers.ParamShape, error) {
	if m.sequential {
		if err := m.stackGraph(); err != nil {
			return nil, err
		}
	}
	if m.graphErr != nil {
		return nil, m.graphErr
	}
	ws, err := m.buildGraph(tensor.NewRNG(m.seed), true)
	if err != nil {
		return nil, fmt.Errorf("goras: %w", err)
	}
	return ws, nil
}

func sameShapes(a, b [][]int) bool {
	return slices.EqualFunc(a, b, func(x, y []int) bool { return slices.Equal(x, y) })
}

func shapesString(ss [][]int) string {
	if len(ss) == 1 {
		return tensor.ShapeString(ss[0], true)
	}
	out := "["
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += tensor.ShapeString(s, true)
	}
	return out + "]"
}
