// Package optimizers holds the optimizers of Keras's keras.optimizers: SGD
// (with momentum and Nesterov), Adam, AdamW, RMSprop, Adagrad, Nadam and
// Adamax, with Keras 3's names, defaults and exact update rules.
//
// An optimizer knows nothing of models or layers: it sees a list of
// variables and a list of gradients of the same sizes. The model calls Build
// once (from Compile) to allocate per-variable state, then Apply once per
// batch:
//
//	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LearningRate: 0.1, Momentum: 0.9})
//	// or: opt, err := optimizers.Get("adam")
//	err = opt.Build(weights)
//	for each batch {
//		// ... compute grads ...
//		opt.Apply(weights, grads) // updates weights in place, no allocation
//	}
//
// Each constructor takes a config struct whose zero fields mean the Keras
// default (each field's comment names it). Every config also has the fields
// every Keras optimizer accepts: WeightDecay, Clipnorm, Clipvalue,
// GlobalClipnorm and Schedule (a schedules.Schedule that replaces the fixed
// learning rate). A step runs in Keras's order: clip the gradients, decay the
// weights (w -= w*weight_decay*lr), apply the update rule, count the step.
//
// Arithmetic on the variables is float32, as Keras on float32 variables;
// per-step scalars (bias corrections, scheduled rates) are computed in
// float64 and rounded once. The updates run sequentially in a fixed order,
// so results are bit-for-bit reproducible.
//
// An optimizer is not safe for concurrent use.
//
// Variables exposes all state (the iteration count, the learning rate, the
// slots) as tensors a checkpoint can save; writing saved values back into
// them resumes training exactly. The iteration count is stored as float32,
// which is exact up to 2^24 (16,777,216) steps; beyond that a restored count
// is rounded, which only affects bias corrections that have long reached 1.
package optimizers
