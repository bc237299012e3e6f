package studio

import (
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/mnist"
)

// loadFunc loads a data set's training and test sets.
type loadFunc func(ctx context.Context) (train, test mnist.Dataset, err error)

// dataSource loads a data set once, when a page first needs it, and keeps
// it. A failed load is tried again by the next caller.
type dataSource struct {
	name string // for messages: "MNIST", "Fashion-MNIST"
	load loadFunc

	mu          sync.Mutex
	loaded      bool
	train, test mnist.Dataset
}

// newDataSource is MNIST's source: load, or by default mnist.LoadData,
// which finds or fetches the real files.
func newDataSource(load loadFunc, log io.Writer) *dataSource {
	if load == nil {
		load = func(ctx context.Context) (train, test mnist.Dataset, err error) {
			return mnist.LoadData(mnist.WithContext(ctx), mnist.WithLogger(log))
		}
	}
	return &dataSource{name: "MNIST", load: load}
}

// newFashionSource is Fashion-MNIST's source: load, or by default
// fashionmnist.LoadData.
func newFashionSource(load loadFunc, log io.Writer) *dataSource {
	if load == nil {
		load = func(ctx context.Context) (train, test mnist.Dataset, err error) {
			return fashionmnist.LoadData(fashionmnist.WithContext(ctx), fashionmnist.WithLogger(log))
		}
	}
	return &dataSource{name: "Fashion-MNIST", load: load}
}

// get returns the training and test sets, loading them on first use.
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

// testSet returns the data set's test set; a failed load is a 503 error.
func (d *dataSource) testSet(ctx context.Context) (mnist.Dataset, error) {
	_, test, err := d.get(ctx)
	if err != nil {
		return test, errorf(http.StatusServiceUnavailable, "the %s test set cannot be loaded: %v", d.name, err)
	}
	return test, nil
}

// testSet returns the test set named by pictureInput.TestSet.
func (s *Server) testSet(ctx context.Context, name string) (mnist.Dataset, error) {
	if name == testFashion {
		return s.fashion.testSet(ctx)
	}
	return s.data.testSet(ctx)
}
