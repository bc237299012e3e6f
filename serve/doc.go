// Package serve serves one goras model to many goroutines at once by
// batching their requests (dynamic batching, as Triton's dynamic batcher
// and TensorFlow Serving's batching do):
//
//	b, err := serve.New(m) // m: a built or buildable *goras.Model
//	if err != nil { ... }
//	defer b.Close()
//	// in each request's goroutine, x of shape (1, 28, 28):
//	probs, err := b.Predict(ctx, x)
//
// It is optional: goras.Model.PredictOnBatch is already safe from any
// number of goroutines, each call running its own copy of the model's
// buffers. A Batcher pays when a sample costs much more than handing a
// request to another goroutine and back (about 1 µs): on 2 cores, LeNet-5
// (17 µs a sample alone, 6.3 µs in a batch of 64) served 64 goroutines
// 151,000 samples/s through a Batcher against 93,000 by direct calls, and
// their 99th-percentile latency fell from 10–22 ms to 0.7 ms; the MLP
// (1.3 µs a sample) is served faster by direct calls, though with a
// longer tail (BENCH.md).
//
// # How batches form
//
// Predict checks the request (its shape, and NaN or ±Inf in it) and
// queues it; a refused request never reaches a batch. Workers (one per
// core by default, WithWorkers) take turns at gathering: a free worker
// takes up to MaxBatch queued samples (64, WithMaxBatch), first come
// first served, runs one PredictOnBatch on them and hands each caller its
// rows. While every worker is busy, requests wait in the queue, so the
// batches grow with the load, and shrink back to single samples when
// calls are few. A worker can also wait for a fuller batch (WithMaxWait),
// which pays only when requests come independently of the answers.
//
// A batch runs one of a few sizes, the powers of two below MaxBatch and
// MaxBatch (1, 2, 4, ..., 64): the model keeps a plan with every buffer
// per batch size, and New builds them all before the first request
// (warm-up), so that no request pays for it. Queued samples that do not
// make one of these sizes are cut: 37 run as 32, and the 5 left go first
// into the next batch. A request of more samples than MaxBatch is cut the
// same way and answered whole.
//
// # Failures, cancellation, Close
//
// A batch whose PredictOnBatch fails or panics (a layer's panic comes
// back as an error) fails each of its requests with that error; the
// worker goes on with the next batch. A request whose context ends
// before a batch takes it leaves the queue; after, its answer is dropped;
// either way Predict returns ctx.Err() at once. Close stops taking
// requests (Predict returns ErrClosed), runs those queued, and returns
// when the workers have ended.
//
// # The model's plan cache
//
// The batcher uses Workers × sizes plans (14 with the defaults on 2
// cores); goras keeps 16 by default (goras.PlanCache), shared with any
// other use of the model. With more workers or a larger MaxBatch, raise
// it, e.g. m.SetPlanCache(goras.PlanCache{MaxPlans: 64}), or plans are
// dropped and built again while serving. Plans left unused for the cache's
// Idle time (5 minutes by default) are dropped too, and the first batch
// of each size after that builds its plan again.
//
// serve sits on floor 6 of the README's Layout, beside ensemble: it
// imports goras, tensor and internal/kernel, nothing above the root
// package.
package serve
