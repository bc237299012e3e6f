package applications

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/goras-ml/goras/recipes"
)

// edit changes everything a caller can reach from s, as `goras train` does
// with a recipe's precision or the studio with its epochs.
func edit(s *Spec) {
	s.Name, s.Description, s.Epochs, s.BatchSize = "edited", "edited", 99, 7
	if s.Recipe != nil {
		s.Recipe.Precision = "mixed_bfloat16"
		s.Recipe.Epochs = 99
		s.Recipe.Config.Filters[0] = 1
		s.Recipe.Config.ConvsPerBlock[1] = 5
		s.Recipe.Config.Dropout = 0.9
	}
}

// Get's Spec is the caller's own: editing it, its Recipe included, leaves
// the zoo as it was for the next caller.
func TestGetIsACopy(t *testing.T) {
	for _, name := range Names() {
		first, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		var want recipes.Recipe
		if first.Recipe != nil {
			want = *first.Recipe
		}
		wantEpochs := first.Epochs
		edit(&first)
		again, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if again.Name != name || again.Epochs != wantEpochs {
			t.Errorf("%s: after editing a Spec, Get gives %q with %d epochs", name, again.Name, again.Epochs)
		}
		if (again.Recipe == nil) != (first.Recipe == nil) {
			t.Fatalf("%s: Recipe nil %v, then %v", name, first.Recipe == nil, again.Recipe == nil)
		}
		if again.Recipe == nil {
			continue
		}
		if again.Recipe == first.Recipe {
			t.Errorf("%s: two Gets share one *Recipe", name)
		}
		if *again.Recipe != want {
			t.Errorf("%s: after editing the Recipe Get gives %+v, want %+v", name, *again.Recipe, want)
		}
	}
}

// clone copies a Recipe by copying the struct, which is a deep copy only
// while nothing in it refers to memory elsewhere. A field that would (a
// slice of schedules, a map of options) needs copying in Spec.clone, and
// then an entry here.
func TestRecipeHoldsValuesOnly(t *testing.T) {
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		switch typ.Kind() {
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				walk(path+"."+f.Name, f.Type)
			}
		case reflect.Array:
			walk(path+"[i]", typ.Elem())
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
			t.Errorf("%s is a %s, which Spec.clone shares with the zoo; copy it there", path, typ.Kind())
		}
	}
	walk("Recipe", reflect.TypeFor[recipes.Recipe]())
}

// Many goroutines getting a recipe's Spec and editing their own race with
// no one (run under -race) and always get the zoo's recipe.
func TestGetAndEditFromManyGoroutines(t *testing.T) {
	s, err := Get("best")
	if err != nil {
		t.Fatal(err)
	}
	want := *s.Recipe
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for range 50 {
				s, err := Get("best")
				if err != nil {
					errs <- err
					return
				}
				if *s.Recipe != want {
					errs <- fmt.Errorf("goroutine %d: Get gives %+v, want %+v", g, *s.Recipe, want)
					return
				}
				edit(&s)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A recipe's Spec builds the network of its own Recipe, edits included:
// a Dense layer of 16 units instead of fast's gives fewer weights, and the
// next Get the recipe's network again.
func TestSpecFollowsItsRecipe(t *testing.T) {
	count := func(s Spec) int {
		t.Helper()
		m, err := s.New(1)
		if err != nil {
			t.Fatal(err)
		}
		return m.CountParams()
	}
	s, err := Get("fast")
	if err != nil {
		t.Fatal(err)
	}
	want := count(s)
	r := *s.Recipe
	r.Config.Dense = 16
	wantEdited := count(Spec{Name: "fast", Layers: r.Layers})
	s.Recipe.Config.Dense = 16
	if got := count(s); got != wantEdited || got == want {
		t.Errorf("New after editing the recipe's Dense to 16: %d weights, want %d (the recipe's network has %d)", got, wantEdited, want)
	}
	again, _ := Get("fast")
	if got := count(again); got != want {
		t.Errorf("Get after another caller's edit: %d weights, want the recipe's %d", got, want)
	}
}
