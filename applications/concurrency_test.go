package applications

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// The studio and goras-beam build networks of the zoo for several jobs at
// once: Get, New and NewFor from many goroutines give the weights one
// goroutine gets for the seed, bit for bit, and Data feeds each its data
// from one shared data set (run under -race).
func TestZooFromManyGoroutines(t *testing.T) {
	names := []string{"mlp", "lenet5", "keras-convnet", "fast"}
	d := fourDigits()
	job := func(name string) ([]*tensor.Tensor, error) {
		s, err := Get(name)
		if err != nil {
			return nil, err
		}
		m, err := s.New(7)
		if err != nil {
			return nil, err
		}
		if _, _, err := Data(d, m, losses.SparseCategoricalCrossentropy{}); err != nil {
			return nil, err
		}
		ws, err := m.GetWeights()
		if err != nil {
			return nil, err
		}
		if name != "lenet5" {
			return ws, nil
		}
		other, err := s.NewFor(7, []int{32, 32, 3}, 5)
		if err != nil {
			return nil, err
		}
		more, err := other.GetWeights()
		return append(ws, more...), err
	}
	want := map[string][]*tensor.Tensor{}
	for _, name := range names {
		ws, err := job(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want[name] = ws
	}
	errs := make(chan error, 2*len(names))
	var wg sync.WaitGroup
	for range 2 {
		for _, name := range names {
			wg.Go(func() {
				ws, err := job(name)
				if err != nil {
					errs <- err
					return
				}
				for i, w := range ws {
					if !slices.Equal(w.Data(), want[name][i].Data()) {
						errs <- fmt.Errorf("%s: weight %d differs from one goroutine's", name, i)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
