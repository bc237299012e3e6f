package goras

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/tensor"
)

// Model is a network of layers: a directed acyclic graph from its inputs to
// its outputs, as Keras's keras.Model. NewModel makes one from symbolic
// tensors (the functional API); NewSequential makes the common case, a
// stack of layers, which is built into the same kind of graph.
//
// Concurrency: Predict and PredictOnBatch may be called from any number of
// goroutines at once, and so may Evaluate (calls of it take turns). Fit,
// TrainOnBatch and every method that changes the model (Compile, SetSeed,
// Add, loading weights) must not run concurrently with each other or with
// Predict or Evaluate.
type Model struct {
	name string
	seed uint64

	classNames []string // what each output unit means (SetClassNames); nil when unnamed

	// A Sequential model keeps its stack and makes its graph when built.
	sequential bool
	stack      []layers.Layer

	inputs, outputs []*KerasTensor
	nodes           []*KerasTensor // every layer call, in an order where inputs come first
	layers          []layers.Layer // each layer once, in order of first call; no InputLayer
	graphErr        error          // a mistake found while the graph was made

	// built is set once Build has finished, under buildMu, so that the
	// first Predict calls of an unbuilt model, from several goroutines,
	// build it once and none runs on a half-built graph.
	built   atomic.Bool
	buildMu sync.Mutex
	params  []*autograd.Param
	frozen  map[layers.Layer]bool // layers whose weights the optimizer leaves alone
	// policies are the layers' own precision policies read from a config
	// ("dtype"), given to their weights whenever Build makes them.
	policies map[layers.Layer]string
	shuffle  *tensor.RNG // state saved by checkpoints

	compiled *compiled
	plans    planCache
	// evaluating makes Evaluate calls take turns: they share the cached
	// plan of their batch size, its buffers and its loss.
	evaluating sync.Mutex
	training   atomic.Bool // held by Fit and TrainOnBatch
	onBatch    dataSet     // TrainOnBatch's checked data, reused

	resumeAt int // set by a callback in OnTrainBegin: the epoch Fit starts at, if ≥ 0

	// StopTraining, set by a callback, ends Fit after the current batch.
	StopTraining bool
}

// Name is the model's name: "sequential", "functional", or the one given.
func (m *Model) Name() string { return m.name }

// SetName renames the model.
func (m *Model) SetName(name string) { m.name = name }

// SetSeed fixes every random choice of the model: initial weights, shuffling
// and dropout masks. The default seed is 0. Calling it on a built model
// draws the weights again from the new seed.
func (m *Model) SetSeed(seed uint64) {
	m.seed = seed
	m.invalidate()
}

// Seed is the seed set by SetSeed.
func (m *Model) Seed() uint64 { return m.seed }

func (m *Model) invalidate() {
	m.built.Store(false)
	m.plans.reset()
}

// Layers returns the layers, each once, in the order they are first called;
// the Input declarations are left out.
func (m *Model) Layers() []layers.Layer {
	if m.sequential && !m.built.Load() {
		return stackLayers(m.stack)
	}
	return m.layers
}

// Inputs are the model's symbolic inputs, Outputs its symbolic outputs.
func (m *Model) Inputs() []*KerasTensor  { return m.inputs }
func (m *Model) Outputs() []*KerasTensor { return m.outputs }

// InputShape is the per-sample shape (no batch axis) of the first input,
// once built.
func (m *Model) InputShape() []int {
	if len(m.inputs) == 0 {
		return nil
	}
	return m.inputs[0].shape
}

// OutputShape is the per-sample shape of the first output, once built.
func (m *Model) OutputShape() []int {
	if len(m.outputs) == 0 {
		return nil
	}
	return m.outputs[0].shape
}

// OutputNames are the names Keras gives the outputs: the names of the
// layers that make them. Per-output logs are named after them
// ("dense_1_loss", "val_dense_1_accuracy").
func (m *Model) OutputNames() []string {
	names := make([]string, len(m.outputs))
	for i, o := range m.outputs {
		names[i] = o.layer.Name()
	}
	return names
}

// Params lists every weight of the model, layer by layer.
func (m *Model) Params() []*autograd.Param { return m.params }

// Build names the layers, checks every shape and creates the weights from
// the seed. Compile, Fit and Summary call it; call it yourself to see
// errors early.
func (m *Model) Build() error {
	if m.built.Load() {
		return nil
	}
	m.buildMu.Lock()
	defer m.buildMu.Unlock()
	if m.built.Load() { // built by a call that held the lock before this one
		return nil
	}
	if m.sequential {
		if err := m.stackGraph(); err != nil {
			return err
		}
	}
	if m.graphErr != nil {
		return m.graphErr
	}
	m.keepPolicies()
	if _, err := m.buildGraph(tensor.NewRNG(m.seed), false); err != nil {
		return fmt.Errorf("goras: %w", err)
	}
	if err := m.applyPolicies(); err != nil {
		return err
	}
	// Shuffling draws from its own stream so that adding a layer does not
	// change the order in which samples are seen.
	m.shuffle = tensor.NewStatefulRNG(m.seed ^ 0x5deece66d)
	m.plans.reset()
	m.built.Store(true)    // after the graph: a caller that sees it sees the graph
	if m.compiled != nil { // new weights: the optimizer starts afresh on them
		return m.compiled.bind(m)
	}
	return nil
}

// applyPolicies gives the weights of the layers of m.policies their
// layer's policy, each policy once, so that a CPU without fast bfloat16
// products writes one notice, not one a layer.
func (m *Model) applyPolicies() error {
	byPolicy := map[string]weights{}
	for l, name := range m.policies {
		byPolicy[name] = append(byPolicy[name], l.Params()...)
	}
	for name, ws := range byPolicy {
		if len(ws) == 0 { // layers without weights: nothing computes in it
			continue
		}
		if _, err := mixedprecision.SetPolicy(ws, name); err != nil {
			return fmt.Errorf("goras: %w", err)
		}
	}
	return nil
}

// keepPolicies adds to m.policies the policy the weights of each layer
// have of their own (mixedprecision.SetPolicy on the model or the layer),
// before Build makes the weights again (SetSeed), so that the new weights
// compute as the old ones did, as a Keras layer keeps its dtype policy.
func (m *Model) keepPolicies() {
	var keep func(ls []layers.Layer)
	keep = func(ls []layers.Layer) {
		for _, l := range ls {
			if pl, ok := l.(*layers.PipelineLayer); ok {
				keep(pl.Layers())
				continue
			}
			if name, ok := ownPolicy(l.Params()); ok {
				if m.policies == nil {
					m.policies = map[layers.Layer]string{}
				}
				m.policies[l] = name
			}
		}
	}
	keep(m.layers)
}

// ownPolicy is the policy all of ws have of their own, if they have one
// and the same.
func ownPolicy(ws []*autograd.Param) (string, bool) {
	name := ""
	for _, w := range ws {
		if w == nil {
			return "", false
		}
		set, on := w.OwnBF16Products()
		p := "float32"
		if on {
			p = "mixed_bfloat16"
		}
		if !set || (name != "" && p != name) {
			return "", false
		}
		name = p
	}
	return name, name != ""
}

// weights is a list of weights as mixedprecision takes them.
type weights []*autograd.Param

func (w weights) Params() []*autograd.Param { return w }

// nameLayers gives every unnamed layer Keras's default name: the snake_case
// class name, numbered from the second of a kind on (dense, dense_1, ...),
// and refuses two layers of one name.
func nameLayers(ls []layers.Layer) error {
	used := map[string]layers.Layer{}
	for _, l := range ls {
		if l.Name() == "" {
			continue
		}
		if other, dup := used[l.Name()]; dup && other != l {
			return fmt.Errorf("goras: two layers are named %q (a %s and a %s); layer names must be unique in a model", l.Name(), other.ClassName(), l.ClassName())
		}
		used[l.Name()] = l
	}
	// Each base goes on from the last suffix it gave: trying base_1 on every
	// time made n unnamed layers of one class (an imported ONNX chain) take
	// n²/2 tries. Names are never given back, so the names are the same.
	next := map[string]int{}
	for _, l := range ls {
		if l.Name() != "" {
			continue
		}
		base := snakeCase(l.ClassName())
		name := base
		i := max(next[base], 1)
		for ; used[name] != nil; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		next[base] = i
		used[name] = l
		l.SetName(name)
	}
	return nil
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

// trainable lists the weights the optimizer updates: trainable weights of
// layers not frozen.
func (m *Model) trainable() []*autograd.Param {
	var ps []*autograd.Param
	for _, l := range m.layers {
		if m.frozen[l] {
			continue
		}
		for _, p := range l.Params() {
			if p.Trainable {
				ps = append(ps, p)
			}
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

var errNoInput = errors.New("goras: the model does not know its input shape; start it with layers.Input, e.g. layers.Input(28, 28)")
