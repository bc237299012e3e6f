package goras_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

func TestClassNames(t *testing.T) {
	m := goras.NewSequential(layers.Input(4), layers.Dense(3, layers.WithActivation("softmax")))
	if got := m.ClassNames(); got != nil {
		t.Fatalf("a new model has class names %q, want nil", got)
	}
	names := []string{"bars", "dot", "stripes"}
	if err := m.SetClassNames(names); err != nil { // builds the unbuilt model to see its 3 units
		t.Fatal(err)
	}
	names[0] = "changed" // the model keeps its own copy
	got := m.ClassNames()
	if want := []string{"bars", "dot", "stripes"}; !slices.Equal(got, want) {
		t.Fatalf("ClassNames() = %q, want %q", got, want)
	}
	got[1] = "changed" // and hands out copies
	if m.ClassNames()[1] != "dot" {
		t.Errorf("changing ClassNames' result changed the model's names: %q", m.ClassNames())
	}

	err := m.SetClassNames([]string{"a", "b", "c", "d", "e", "f", "g"})
	if err == nil {
		t.Fatal("7 names for 3 units: no error")
	}
	for _, want := range []string{`7 class names ("a", "b", "c", "d", "e", and 2 more)`, "output has 3 units (shape (None, 3))", "one name per output unit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !slices.Equal(m.ClassNames(), []string{"bars", "dot", "stripes"}) {
		t.Errorf("a refused SetClassNames changed the names to %q", m.ClassNames())
	}
	if err := m.SetClassNames(nil); err != nil || m.ClassNames() != nil {
		t.Errorf("SetClassNames(nil): err %v, names %q; want the names removed", err, m.ClassNames())
	}
}

func TestClassNamesUnbuildable(t *testing.T) {
	m := goras.NewSequential(layers.Dense(3)) // no Input: cannot be built
	if err := m.SetClassNames([]string{"a", "b", "c"}); err == nil {
		t.Error("SetClassNames on a model without an input: no error")
	}
}

// A model trained on pictures of clothes says which class each output is.
func ExampleModel_SetClassNames() {
	m := goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(3, layers.WithActivation("softmax")))
	if err := m.SetClassNames([]string{"T-shirt/top", "Trouser", "Pullover"}); err != nil {
		fmt.Println(err)
	}
	fmt.Println(m.ClassNames()[1])
	fmt.Println(m.SetClassNames([]string{"cat", "dog"}))
	// Output:
	// Trouser
	// goras: 2 class names ("cat", "dog") for a model whose output has 3 units (shape (None, 3)); give one name per output unit
}
