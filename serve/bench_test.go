package serve

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goras-ml/goras/tensor"
)

// BenchmarkServe serves one-sample requests from 1, 4, 16 and 64
// goroutines at once, each asking again as soon as it has its answer, to
// the MLP and LeNet-5: straight to the model (PredictOnBatch, one sample
// a call), through a Batcher with the defaults, through one that waits up
// to 1 ms for fuller batches, and through one with a single worker. It
// reports the samples answered a
// second, and the 50th and 99th percentiles of one request's latency;
// for the batchers also the mean batch. BENCH.md has the results.
//
//	go test -run '^$' -bench BenchmarkServe -benchtime 2s ./serve/
func BenchmarkServe(b *testing.B) {
	for _, net := range []string{"mlp", "lenet5"} {
		m := zoo(b, net)
		xs := make([]*tensor.Tensor, 256)
		for i := range xs {
			xs[i] = digits(m, 1, uint64(i))
		}
		direct := func(_ context.Context, x *tensor.Tensor) (*tensor.Tensor, error) { return m.PredictOnBatch(x) }
		for _, mode := range []struct {
			name string
			opts []Option // nil: direct
		}{
			{"direct", nil},
			{"batcher", []Option{}},
			{"batcher-wait1ms", []Option{WithMaxWait(time.Millisecond)}},
			{"batcher-workers1", []Option{WithWorkers(1)}},
		} {
			for _, g := range []int{1, 4, 16, 64} {
				b.Run(fmt.Sprintf("%s/%s/g=%d", net, mode.name, g), func(b *testing.B) {
					call := direct
					var bt *Batcher
					if mode.opts != nil {
						var err error
						if bt, err = New(m, mode.opts...); err != nil {
							b.Fatal(err)
						}
						call = bt.Predict
					}
					load(b, call, xs, g, 4*g) // warm: every goroutine's plan exists
					b.ResetTimer()
					lat := load(b, call, xs, g, b.N)
					elapsed := b.Elapsed()
					b.StopTimer()
					if bt != nil {
						st := bt.Stats()
						bt.Close()
						b.ReportMetric(float64(st.Samples)/float64(st.Batches), "samples/batch")
					}
					b.ReportMetric(float64(b.N)/elapsed.Seconds(), "samples/s")
					b.ReportMetric(percentile(lat, 0.50), "p50-µs")
					b.ReportMetric(percentile(lat, 0.99), "p99-µs")
				})
			}
		}
	}
}

// load has g goroutines make n calls in all, one sample each, each call
// as soon as the goroutine's last one answered, and returns every call's
// latency in µs.
func load(b *testing.B, call func(context.Context, *tensor.Tensor) (*tensor.Tensor, error), xs []*tensor.Tensor, g, n int) []float64 {
	var next atomic.Int64
	lats := make([][]float64, g)
	var wg sync.WaitGroup
	for gi := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]float64, 0, n/g+1)
			ctx := context.Background()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					break
				}
				t0 := time.Now()
				if _, err := call(ctx, xs[i%int64(len(xs))]); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, float64(time.Since(t0).Nanoseconds())/1e3)
			}
			lats[gi] = lat
		}()
	}
	wg.Wait()
	return slices.Concat(lats...)
}

// percentile is the q-quantile of v (sorted in place), nearest rank.
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[min(len(v)-1, int(q*float64(len(v))))]
}

// BenchmarkBatchSize is what batching can save: PredictOnBatch on one
// goroutine, by batch size, in ns a sample.
//
//	go test -run '^$' -bench BenchmarkBatchSize ./serve/
func BenchmarkBatchSize(b *testing.B) {
	for _, net := range []string{"mlp", "lenet5"} {
		m := zoo(b, net)
		for _, n := range []int{1, 4, 16, 64} {
			x := digits(m, n, 1)
			b.Run(fmt.Sprintf("%s/n=%d", net, n), func(b *testing.B) {
				if _, err := m.PredictOnBatch(x); err != nil { // build the plan
					b.Fatal(err)
				}
				b.ResetTimer()
				for range b.N {
					if _, err := m.PredictOnBatch(x); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sample")
			})
		}
	}
}
