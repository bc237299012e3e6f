// Package kernel holds every hot loop of goras: GEMM, element-wise
// arithmetic, activations and their gradients, row-wise softmax, reductions,
// and the one worker pool that splits work across cores.
//
// Everything here works on []float32 plus dimensions, destination first, and
// never allocates in steady state, so that a compiled training plan can run a
// whole step with zero allocations. Nothing here knows what a layer is:
// layers compose these functions, the model composes layers.
//
// Matrices are row-major. Each function states its shape contract once, in
// its doc comment. Calling a function with inconsistent sizes or short slices
// is a programmer error and panics with a "kernel: ..." message after a single
// block of checks; there is no error return because no input here comes from
// a user.
//
// # Determinism
//
// Reductions run in a fixed order. Gemm splits work across the pool by tiles
// of C only, never along the shared dimension k, so every element of C is
// computed by the same sequence of operations whatever the number of workers:
// results are bit-identical on 1 core or many.
//
// # Implementations
//
// The portable pure-Go code is the reference. On amd64, Gemm's inner
// microkernel is replaced at start-up by an assembly one chosen by CPU feature;
// the build tag purego forces the reference everywhere. The tests hold every
// implementation available on the machine against float64 reference code.
//
// # Parallelism
//
// One pool of Workers() goroutines serves the process. Parallel runs small
// work inline, and must not be called from inside a Job: nesting could
// deadlock the pool and would oversubscribe the cores anyway.
package kernel
