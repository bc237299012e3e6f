// Package optimizers holds the optimizers of Keras's keras.optimizers: SGD
// (with momentum and Nesterov), Adam, AdamW, RMSprop, Adagrad, Nadam,
// Adamax, Adadelta, Lion and Ftrl, with Keras 3's names, defaults and exact
// update rules.
//
// An optimizer knows nothing of models or layers: it sees a list of
// variables and a list of gradients of the same sizes. The model calls Build
// once (from Compile) to allocate per-variable state, then Apply once per
// batch:
//
//	opt, err := optimizers.NewSGD(optimizers.LearningRate(0.1), optimizers.Momentum(0.9))
//	// or: opt, err := optimizers.Get("adam")
//	err = opt.Build(weights)
//	for each batch {
//		// ... compute grads ...
//		opt.Apply(weights, grads) // updates weights in place, no allocation
//	}
//
// Each constructor takes options, Keras's keyword arguments: an option not
// given takes Keras's default (each option's comment names it), an option
// given is used as given, zero included (Beta1(0), Rho(0) and
// LearningRate(0) are legal, as in Keras). Every optimizer takes the
// options every Keras optimizer accepts: WeightDecay, Clipnorm, Clipvalue,
// GlobalClipnorm, Schedule (a schedules.Schedule that replaces the fixed
// learning rate) and UseEMA with EMAMomentum and EMAOverwriteFrequency; an
// option an optimizer does not take is an error naming those it takes. A
// step runs in Keras's order: clip the gradients, decay the weights
// (w -= w*weight_decay*lr), apply the update rule, update the moving
// averages (and, every EMAOverwriteFrequency steps, copy them into the
// weights), count the step.
//
// # Moving averages (use_ema)
//
// With UseEMA(true) an optimizer keeps an exponential moving average of
// every variable, as Keras's use_ema=True. Keras's fit replaces the
// weights by their averages when training ends
// (optimizer.finalize_variable_values); a training loop does the same by
// calling FinalizeVariableValues (the Finalizer interface, which every
// optimizer here implements) with the variables of Apply, once, after the
// last epoch. Without UseEMA it does nothing.
//
// Each optimizer has one description, Keras's class_name and get_config
// (Name and Config), and one way back, FromConfig, through the registry
// that also holds the optimizers of one's own added with Register; Get
// reads compile()'s string names through it.
//
// Arithmetic on the variables is float32, as Keras on float32 variables;
// per-step scalars (bias corrections, scheduled rates) are computed in
// float64 and rounded once. The updates run sequentially in a fixed order,
// so results are bit-for-bit reproducible. A per-weight state that decays
// toward zero while its gradient is zero (the moments of Adam, Adamax and
// Nadam, SGD's and RMSprop's momentum, RMSprop's and Adadelta's averages)
// is stored as +0 once it falls under the smallest normal float32
// (kernel.FlushTiny): subnormals cost an x86 core about fifty times a
// normal operation, and their part of a step rounds away. Lion's momentum
// is not flushed: its sign alone moves the weight, however small it is.
//
// An optimizer is not safe for concurrent use.
//
// Variables exposes all state (the iteration count, the learning rate, the
// slots) as tensors a checkpoint can save; writing saved values back into
// them resumes training exactly. The iteration count is stored as float32,
// which is exact up to 2^24 (16,777,216) steps; beyond that a restored count
// is rounded, which only affects bias corrections that have long reached 1.
package optimizers
