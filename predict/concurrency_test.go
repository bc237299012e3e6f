package predict

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// A server checks one loaded model and answers each request from its own
// goroutine: CheckModel and PictureInput on one model not yet built (the
// first callers race to build it), Predict and Top on its outputs. Every
// goroutine gets what one goroutine gets, bit for bit (run under -race).
func TestHelpersFromManyGoroutines(t *testing.T) {
	newModel := func() *goras.Model {
		m := goras.NewSequential(layers.Input(28, 28, 1), layers.Flatten(),
			layers.Dense(10, layers.WithActivation("softmax")))
		m.SetSeed(5)
		return m
	}
	x := tensor.New(3, 28, 28, 1)
	for i := range x.Data() {
		x.Data()[i] = float32(i%29) / 29
	}
	answer := func(m *goras.Model) ([]Prediction, error) {
		if err := CheckModel(m, "m.safetensors", "the studio"); err != nil {
			return nil, err
		}
		h, w, mode, err := PictureInput(m, "m.safetensors", "the studio")
		if err != nil {
			return nil, err
		}
		if h != 28 || w != 28 || mode != "grayscale" {
			return nil, fmt.Errorf("PictureInput = %d, %d, %q; want 28, 28, grayscale", h, w, mode)
		}
		probs, err := m.Predict(x, goras.Verbose(0))
		if err != nil {
			return nil, err
		}
		var out []Prediction
		for i := range 3 {
			row := probs.Data()[i*10 : (i+1)*10]
			if err := CheckProbabilities(row, "the studio"); err != nil {
				return nil, err
			}
			out = append(out, Top(fmt.Sprint(i), row, 3).WithClassNames([]string{"zero", "one", "two", "three"}))
		}
		return out, nil
	}
	want, err := answer(newModel())
	if err != nil {
		t.Fatal(err)
	}
	m := newModel() // shared, unbuilt
	const goroutines = 8
	errs := make(chan error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			got, err := answer(m)
			switch {
			case err != nil:
				errs <- err
			case !reflect.DeepEqual(got, want):
				errs <- fmt.Errorf("goroutine %d: %+v, want %+v", g, got, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
