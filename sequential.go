package goras

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// Sequential is a linear stack of layers, Keras's keras.Sequential.
type Model struct {
	name   string
	layers []layers.Layer
	seed   uint64

	built   bool
	input   []int   // per-sample input shape
	shapes  [][]int // per-sample output shape of each layer
	params  []*autograd.Param
	shuffle *tensor.RNG // state saved by checkpoints

	compiled *compiled
	plans    map[planKey]*batchPlan

	// StopTraining, set by a callback, ends Fit after the current batch.
	StopTraining bool
}

// NewSequential stacks layers in order. The first should be layers.Input,
// which declares the per-sample input shape, as keras.Input does.
func NewSequential(ls ...layers.Layer) *Model {
	m := &Model{name: "sequential"}
	for _, l := range ls {
		m.Add(l)
	}
	return m
}

// Add appends a layer. Adding to a built model rebuilds it, with new weights.
func (m *Model) Add(l layers.Layer) {
	m.layers = append(m.layers, l)
	m.invalidate()
}

// Name is the model's name, "sequential".
func (m *Model) Name() string { return m.name }

// SetSeed fixes every random choice of the model: initial weights, shuffling
// and (with later layers) dropout masks. The default seed is 0. Calling it on
// a built model draws the weights again from the new seed.
func (m *Model) SetSeed(seed uint64) {
	m.seed = seed
	m.invalidate()
}

func (m *Model) invalidate() {
	m.built = false
	m.plans = nil
}

// Layers returns the layers, the Input declaration excluded.
func (m *Model) Layers() []layers.Layer {
	if len(m.layers) > 0 {
		if _, ok := m.layers[0].(*layers.InputLayer); ok {
			return m.layers[1:]
		}
	}
	return m.layers
}

// InputShape is the per-sample input shape (no batch axis), once built.
func (m *Model) InputShape() []int { return m.input }

// OutputShape is the per-sample output shape, once built.
func (m *Model) OutputShape() []int {
	if len(m.shapes) == 0 {
		return nil
	}
	return m.shapes[len(m.shapes)-1]
}

// Params lists every weight of the model, layer by layer.
func (m *Model) Params() []*autograd.Param { return m.params }

// Build names the layers, checks every shape and creates the weights from the
// seed. Compile, Fit and Summary call it; call it yourself to see errors early.
func (m *Model) Build() error {
	if m.built {
		return nil
	}
	in, ok := m.firstInput()
	if !ok {
		return errors.New("goras: the model does not know its input shape; start it with layers.Input, e.g. layers.Input(28, 28)")
	}
	ls := m.Layers()
	if len(ls) == 0 {
		return errors.New("goras: the model has no layers; add some after layers.Input")
	}
	m.nameLayers(ls)
	rng := tensor.NewRNG(m.seed)
	m.input = in
	m.shapes = m.shapes[:0]
	m.params = m.params[:0]
	shape := in
	for _, l := range ls {
		out, err := l.Build(shape, rng)
		if err != nil {
			return fmt.Errorf("goras: %w", err)
		}
		m.shapes = append(m.shapes, out)
		m.params = append(m.params, l.Params()...)
		shape = out
	}
	// Shuffling draws from its own stream so that adding a layer does not
	// change the order in which samples are seen.
	m.shuffle = tensor.NewStatefulRNG(m.seed ^ 0x5deece66d)
	m.built = true
	m.plans = nil
	if m.compiled != nil { // new weights: the optimizer starts afresh on them
		return m.compiled.bind(m)
	}
	return nil
}

func (m *Model) firstInput() ([]int, bool) {
	if len(m.layers) == 0 {
		return nil, false
	}
	in, ok := m.layers[0].(*layers.InputLayer)
	if !ok {
		return nil, false
	}
	shape, err := in.Build(nil, nil)
	return shape, err == nil && shape != nil
}

// nameLayers gives every unnamed layer Keras's default name: the snake_case
// class name, numbered from the second of a kind on (dense, dense_1, ...).
func (m *Model) nameLayers(ls []layers.Layer) {
	used := map[string]bool{}
	for _, l := range ls {
		if l.Name() != "" {
			used[l.Name()] = true
		}
	}
	for _, l := range ls {
		if l.Name() != "" {
			continue
		}
		base := snakeCase(l.ClassName())
		name := base
		for i := 1; used[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		used[name] = true
		l.SetName(name)
	}
}

var (
	snake1 = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	snake2 = regexp.MustCompile(`([a-z])([A-Z])`)
)

// snakeCase is Keras's to_snake_case: Dense → dense, MaxPooling2D → max_pooling2d.
func snakeCase(s string) string {
	s = snake1.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(snake2.ReplaceAllString(s, "${1}_${2}"))
}

func (m *Model) trainable() []*autograd.Param {
	var ps []*autograd.Param
	for _, p := range m.params {
		if p.Trainable {
			ps = append(ps, p)
		}
	}
	return ps
}

// CountParams is the number of weights, trainable or not.
func (m *Model) CountParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Value.Len()
	}
	return n
}
