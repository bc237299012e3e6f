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
