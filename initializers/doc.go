// Package initializers holds the Keras weight initializers (keras.initializers):
// the functions that give a layer's kernel and bias their first values.
//
// Every initializer has its Keras class name (Name: "GlorotUniform",
// "HeNormal", "Zeros", ...), Keras's default parameters, and a Config that
// FromConfig turns back into the same initializer, so a model file can name
// it; Get and FromConfig also take the snake_case strings a course uses
// ("glorot_uniform", "he_normal", "zeros", ...). Serialize writes the
// {"class_name", "config"} form a layer config holds, and Register adds
// initializers of one's own to the same registry:
//
//	init := initializers.HeNormal()
//	init.Initialize(kernel, tensor.NewRNG(42))
//
//	same, err := initializers.FromConfig(init.Name(), init.Config())
//
// Random initializers draw only from the *rand.Rand they are given; one seed
// fixes every initial weight bit for bit. The scale of the fan-based ones
// (Glorot*, He*, Lecun*, VarianceScaling) comes from the tensor's shape
// through ComputeFans: (in, out) for a Dense kernel, (kh, kw, in, out) for a
// Conv2D kernel.
//
// Defaults, as Keras's: Dense and Conv2D kernels use GlorotUniform, biases use
// Zeros; RandomNormal(0, 0.05), RandomUniform(-0.05, 0.05),
// TruncatedNormal(0, 0.05), VarianceScaling(1, "fan_in", "truncated_normal").
package initializers
