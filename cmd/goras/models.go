package main

import (
	"fmt"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
)

// The networks --model names are package applications' zoo, the one list
// the CLI, the studio, the examples and the benchmarks share; this file
// only turns it into flags and help.

// defaultModel is the model goras trains when --model is not given.
const defaultModel = "mlp"

// getModel returns the network --model names, or an error listing the
// known ones.
func getModel(name string) (applications.Spec, error) {
	spec, err := applications.Get(name)
	if err != nil {
		return applications.Spec{}, fmt.Errorf("unknown model %q; known models: %s", name, strings.Join(applications.Names(), ", "))
	}
	return spec, nil
}

// newModel builds spec's network, changed as a asks (modelArch for none),
// with its initial weights drawn from seed.
func newModel(spec applications.Spec, seed uint64, a arch) (*goras.Model, error) {
	ls, err := a.apply(spec.Layers())
	if err != nil {
		return nil, err
	}
	m := goras.NewSequential(ls...)
	m.SetSeed(seed)
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("model %s: %w", spec.Name, err)
	}
	return m, nil
}

// newModel builds r's network for its data: the zoo's network as it is
// for MNIST and Fashion-MNIST, rebuilt for the pictures and classes of a
// --data folder; changed by r.arch and its classes named.
func (r *recipe) newModel(seed uint64) (*goras.Model, error) {
	var m *goras.Model
	var err error
	if r.src.isFolder() {
		m, err = newModelFor(r.spec, seed, r.arch, r.src.input(), len(r.src.classNames()))
	} else {
		m, err = newModel(r.spec, seed, r.arch)
	}
	if err != nil {
		return nil, err
	}
	if err := m.SetClassNames(r.src.classNames()); err != nil {
		return nil, err
	}
	return m, nil
}

// newModelFor builds spec's network for samples of shape input and classes
// outputs (applications.NewFor), changed as a asks. A network too small
// for the pictures is reported by NewFor, which names the smallest size it
// takes.
func newModelFor(spec applications.Spec, seed uint64, a arch, input []int, classes int) (*goras.Model, error) {
	tooSmall := func(err error) error {
		return fmt.Errorf("--data: %s; choose a larger --image-size", strings.TrimPrefix(err.Error(), "applications: "))
	}
	if a == modelArch {
		m, err := spec.NewFor(seed, input, classes)
		if err != nil {
			return nil, tooSmall(err)
		}
		return m, nil
	}
	ls, err := applications.SetShape(spec.Layers(), input, classes)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", spec.Name, err)
	}
	if ls, err = a.apply(ls); err != nil {
		return nil, err
	}
	m := goras.NewSequential(ls...)
	m.SetSeed(seed)
	if err := m.Build(); err != nil {
		if _, plain := spec.NewFor(seed, input, classes); plain != nil {
			return nil, tooSmall(plain)
		}
		return nil, fmt.Errorf("model %s: %w", spec.Name, err)
	}
	return m, nil
}

// trainSize is the number of pictures r trains on.
func (r *recipe) trainSize() int {
	switch {
	case r.src.isFolder():
		return r.src.train.X.Shape()[0]
	case r.limit > 0:
		return r.limit
	}
	return mnistTrainSize
}

// modelHelp is the --model flag's usage: each known model with its
// description.
func modelHelp() string {
	var b strings.Builder
	b.WriteString("the network, by `NAME`:")
	for _, n := range applications.Names() {
		spec, _ := applications.Get(n) // a name Names lists always exists
		fmt.Fprintf(&b, "\n  %s: %s", n, spec.Description)
	}
	return b.String()
}
