package serve_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/serve"
	"github.com/goras-ml/goras/tensor"
)

// Eight goroutines, as a server's request handlers would, each ask one
// Batcher for the class of one 28×28 image (an untrained model's here),
// and get what PredictOnBatch alone gives; a request of
// the wrong shape is refused alone, with what to do about it; after
// Close, Predict says so.
func Example() {
	m := goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	m.SetSeed(1)
	b, err := serve.New(m, serve.WithMaxBatch(16))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	var wg sync.WaitGroup
	classes, alone := make([]int, 8), make([]int, 8)
	for i := range classes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := tensor.New(1, 28, 28)
			x.Set(1, 0, 14, 3*i) // one lit pixel, a different one for each
			probs, err := b.Predict(ctx, x)
			if err != nil {
				fmt.Println(err)
				return
			}
			classes[i] = tensor.ArgMax(probs)[0]
			direct, _ := m.PredictOnBatch(x)
			alone[i] = tensor.ArgMax(direct)[0]
		}()
	}
	wg.Wait()
	fmt.Println("classes:", classes, "the same alone:", slices.Equal(classes, alone))
	st := b.Stats()
	fmt.Println("requests:", st.Requests, "samples run:", st.Samples)

	_, err = b.Predict(ctx, tensor.New(28, 28))
	fmt.Println(err)

	b.Close()
	_, err = b.Predict(ctx, tensor.New(1, 28, 28))
	fmt.Println(errors.Is(err, serve.ErrClosed))
	// Output:
	// classes: [6 2 8 9 0 0 4 5] the same alone: true
	// requests: 8 samples run: 8
	// serve: predict: the model expects x of shape (None, 28, 28), got (28, 28); it looks like a single sample: add the batch axis, x.Reshape(1, 28, 28)
	// true
}
