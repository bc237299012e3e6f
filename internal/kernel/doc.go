// Package kernel holds every hot loop of goras: GEMM, convolution
// (conv.go, conv_shifted.go, im2col.go), pooling (pooling.go), batch-norm
// statistics (batchnorm*.go), cross-entropy (crossentropy.go), element-wise
// arithmetic, activations and their gradients, row-wise softmax,
// reductions, and the one worker pool that splits work across cores
// (workers.go). Convolution and pooling describe their geometry with one
// type, Window (window.go). A convolution or pooling beside a batch
// normalization can do the normalization's passes over memory as it reads
// or writes the same rows, with the same bits: apply it to its input
// (conv_input.go, pooling_norm.go), take its batch statistics
// (batchnorm_stats.go) or its backward sums (batchnorm_runs.go), compute
// its input gradient (conv_bngrad.go). A 3×3 stride-1 convolution of 16·k
// channels both sides runs through Winograd's F(2×2, 3×3), 16 multiply-adds
// per 2×2 outputs and channel pair instead of 36, with sums within a few
// roundings of the direct ones: at inference (conv_winograd.go) and, where
// the sides are even, in training's forward, dx (conv_winograd_train.go) and
// dw (conv_winograd_dw.go). Under mixed_bfloat16 the products take bfloat16
// pairs with float32 sums (GemmBF16 in bf16.go; Conv2DBF16 in
// conv_bf16*.go, which takes the same pairings with its normalizations):
// on AMX tiles where the OS grants them (bf16_amx_amd64.s, each call
// summing several depth segments: tileSegs), else AVX512_BF16, else pure Go.
//
// Everything here works on []float32 plus dimensions, destination first, and
// never allocates in steady state, so that a compiled training plan can run a
// whole step with zero allocations. Nothing here knows what a layer is:
// layers compose these functions, the model composes layers. The passes that
// need buffers of their own between calls (Conv2D, BatchNorm) are types built
// once per shape, which hold them.
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
// Gemm is the classic five-loop blocked algorithm (BLIS's): C is swept in
// tiles of mr×nr, each computed by a tile function over a depth block of kc,
// reading A and B either packed into contiguous panels or in place through
// strides. Only the tile differs between implementations:
//
//   - purego (gemm_generic.go): a 4×4 register tile in plain Go, the
//     reference, used on every architecture and forced by the purego tag;
//   - avx2 (gemm_amd64.s): 6×16 with FMA;
//   - avx512 (gemm_amd64.s): 14×32, with 8-, 16- and 24-column variants and
//     k-masked edges, chosen when the CPU and OS support AVX-512F/VL.
//
// The assembly is generated with avo by the program in _asm (go generate);
// each stub's doc comment gives the Go loop it must equal. The first
// implementation the CPU supports, in the order avx512, avx2, purego, is
// picked at start-up; the tests run every implementation the machine has
// against float64 reference code. Operands are packed only when that pays:
// always for a transposed B, for large products whose strides would thrash
// the caches, and for large products in pure Go; the small products of an
// MNIST MLP are read in place. BENCH.md has measured numbers.
//
// # Parallelism
//
// One pool of Workers() goroutines (GOMAXPROCS unless SetWorkers says
// otherwise) serves the process. Parallel runs small work inline, and must
// not be called from inside a Job: nesting could deadlock the pool and would
// oversubscribe the cores anyway. Its helpers and callers spin for a few
// milliseconds before they sleep, since waking a sleeping goroutine costs as
// much as a small layer's pass on a virtual machine (workers.go);
// GORAS_WAIT_POLICY=passive turns that off.
package kernel
