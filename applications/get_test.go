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
