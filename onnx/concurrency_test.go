package onnx_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx"
)

// A server loads a model file per request, or one model at start and
// predicts with it from every request's goroutine. For each network
// PyTorch exported: goroutines loading the same file at once, predicting
// with the model one of them loaded and encoding that model back to ONNX
// all get, bit for bit, what one goroutine gets (run under -race).
func TestImportFromManyGoroutines(t *testing.T) {
	for _, c := range torchCases(t) {
		t.Run(c.ONNX, func(t *testing.T) {
			path := filepath.Join("testdata", c.ONNX)
			x := nhwc(readF32(t, c.X), c.Input)
			predict := func(m *goras.Model) ([]float32, error) {
				y, err := m.Predict(x, goras.Verbose(0), goras.BatchSize(3)) // batches of 3 and 1: two plans
				if err != nil {
					return nil, err
				}
				return y.Data(), nil
			}
			encode := func(m *goras.Model) ([]byte, error) {
				var b bytes.Buffer
				err := onnx.Encode(m, &b)
				return b.Bytes(), err
			}
			ref, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			wantY, err := predict(ref)
			if err != nil {
				t.Fatal(err)
			}
			wantB, err := encode(ref)
			if err != nil {
				t.Fatal(err)
			}
			shared, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			const goroutines = 6
			errs := make(chan error, 3*goroutines)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					m := shared
					if g%2 == 0 { // half load their own copy of the file
						own, err := onnx.Load(path)
						if err != nil {
							errs <- err
							return
						}
						m = own
					}
					if y, err := predict(m); err != nil || !slices.Equal(y, wantY) {
						errs <- fmt.Errorf("goroutine %d: predictions differ from one goroutine's (%v)", g, err)
					}
					if b, err := encode(m); err != nil || !bytes.Equal(b, wantB) {
						errs <- fmt.Errorf("goroutine %d: the encoded model differs from one goroutine's (%v)", g, err)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
