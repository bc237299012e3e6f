package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/applications"
)

// The tests of the networks --model builds.

// The CLI's networks are package applications' zoo, every one of them.
func TestModelsAreTheZoo(t *testing.T) {
	help := cli(t, "train", "--help").stdout
	for _, name := range applications.Names() {
		spec, err := applications.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := spec.New(1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := newModel(spec, 1, modelArch)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(classes(got), classes(want)) || got.CountParams() != want.CountParams() {
			t.Errorf("--model %s builds %v, the zoo %v", name, classes(got), classes(want))
		}
		if first := strings.SplitN(spec.Description, "\n", 2)[0]; !strings.Contains(help, name+": "+first) {
			t.Errorf("train --help lacks %s: %s", name, first)
		}
		if isRecipe(name) != (spec.Recipe != nil) {
			t.Errorf("isRecipe(%s) = %v", name, isRecipe(name))
		}
	}
}
