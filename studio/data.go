package studio

import (
	"context"
	"io"
	"sync"

	"github.com/goras-ml/goras/datasets/mnist"
)

// dataSource loads MNIST once, when a page first needs it, and keeps it.
// A failed load is tried again by the next caller.
type dataSource struct {
	load func(ctx context.Context) (train, test mnist.Dataset, err error)

	mu          sync.Mutex
	loaded      bool
	train, test mnist.Dataset
}

func newDataSource(load func(ctx context.Context) (train, test mnist.Dataset, err error), log io.Writer) *dataSource {
	if load == nil {
		load = func(ctx context.Context) (train, test mnist.Dataset, err error) {
			return mnist.LoadData(mnist.WithContext(ctx), mnist.WithLogger(log))
		}
	}
	return &dataSource{load: load}
}

// get returns MNIST's training and test sets, loading them on first use.
// Callers share the sets and must not change them.
func (d *dataSource) get(ctx context.Context) (train, test mnist.Dataset, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.loaded {
		if d.train, d.test, err = d.load(ctx); err != nil {
			return d.train, d.test, err
		}
		d.loaded = true
	}
	return d.train, d.test, nil
}

// testSet returns MNIST's test set.
func (d *dataSource) testSet(ctx context.Context) (mnist.Dataset, error) {
	_, test, err := d.get(ctx)
	return test, err
}
