// Package mixedprecision is Keras's keras.mixed_precision: the global dtype
// policy that decides in which precision layers compute.
//
//	mixedprecision.SetGlobalPolicy("mixed_bfloat16") // Keras: keras.mixed_precision.set_global_policy("mixed_bfloat16")
//	model := goras.NewSequential(...)                 // built and compiled after, as in Keras
//	fmt.Println(mixedprecision.GlobalPolicy().Name()) // "mixed_bfloat16"
//
// Two policies exist: "float32", the default, and "mixed_bfloat16", whose
// matrix products (Dense) and convolutions (Conv2D, Conv1D, and
// Conv2DTranspose's product) round their operands to
// bfloat16 (nearest, ties to even) and accumulate the exact products in
// float32; the weights ("variables"), their gradients, the optimizer and
// every other op stay float32, as Keras's mixed policies keep float32
// variables. On Intel Xeons with AMX (Sapphire Rapids on, Linux 5.16 or
// later) the products run on its tiles (TDPBF16PS); on other CPUs with
// AVX512_BF16 on VDPBF16PS, two multiply-adds per float32 lane. Elsewhere
// on amd64 they would be slower than float32 — without AVX512_BF16, or on
// a Xeon whose AMX the OS refused (its VDPBF16PS runs at half the float32
// rate) — so SetGlobalPolicy writes a one-line notice saying which and
// keeps float32. (An Intel CPU with AVX512_BF16 but no AMX, such as Cooper
// Lake, is not measured: there the policy applies, and may train more
// slowly than float32.) Builds whose float32 products are pure Go anyway
// (the purego tag, other architectures) compute the bfloat16 products in
// Go.
//
// Unlike Keras, where the policy also makes activations bfloat16, only the
// products' inputs are rounded: everything between them stays float32,
// which costs no speed on a CPU and keeps batch normalization, softmax and
// the losses exact. Convolutions that have no bfloat16 form (strides other
// than 1, 1×1 windows, one-channel first layers whose window rows are
// shorter than 16 values) stay float32, and so do the depthwise
// convolutions (DepthwiseConv2D, SeparableConv2D's first half), which
// multiply each channel alone and have no bfloat16 form.
//
// The policy is read when a model builds its plans (Compile, or the first
// batch of a new size): set it before building the model, as Keras asks;
// plans already built keep the precision they were built with.
//
// The global policy is one for the process. A model that must keep its
// own whatever the global one, because other models train at the same
// time in other policies (a Beam worker's jobs, goroutines of a server),
// gets it from SetPolicy, once built and before it trains:
//
//	m, err := recipes.Sprint().Build(seed)       // Build calls SetPolicy(m, "mixed_bfloat16")
//	_, err = mixedprecision.SetPolicy(m, "float32") // or any model, after Build or Compile
//	fmt.Println(mixedprecision.PolicyOf(m).Name()) // "float32"
package mixedprecision
