// Package quantize turns a trained goras model into an int8 one for fast
// inference (post-training quantization), saves it and loads it back.
//
//	calib := ... // a few hundred training samples, shaped as the model takes them
//	q, err := quantize.Quantize(model, calib)
//	probs, err := q.Predict(x)
//	err = q.Save("lenet5-int8.safetensors")
//	q, err = quantize.Load("lenet5-int8.safetensors")
//
// The scheme is the common one of inference engines:
//
//   - weights int8, symmetric, one scale per output channel (the largest
//     magnitude of each channel at ±127), with a BatchNormalization folded
//     into the Conv2D or Dense before it;
//   - activations uint8, one scale and zero point per tensor, chosen from
//     the smallest and largest values the calibration samples give at that
//     point (widened to hold 0, which pads convolutions), each layer
//     calibrated on what the layers before it give once quantized;
//   - products summed in int32 (AMX's TDPBUSD tiles for the deeper
//     products and AVX512_VNNI's VPDPBUSD for the rest where the CPU has
//     them, the same integers in pure Go elsewhere and under the purego tag),
//     then requantized to the next layer's uint8 by one float32 multiply
//     and add per value, ReLU being the clamp at the zero point;
//   - max pooling and Flatten on the uint8 values directly; the last Dense
//     layer's outputs dequantized to float32, through its softmax.
//
// A quantized model is its own inference-only type, Model, not a
// goras.Model: it has no training, no layers to change, no plan. Its
// Predict may run from many goroutines at once. It splits the samples
// across the worker pool 32 at a time and runs each chunk through every
// layer while it is in the core's cache, so its results do not depend on
// the number of workers or the batch size.
//
// Quantize takes a chain of layers from one input to one output: Conv2D
// (linear or ReLU activation, any strides and padding), Dense (linear,
// ReLU, or softmax at the end), BatchNormalization after either, ReLU and
// Activation("relu"), MaxPooling2D with 2×2 windows at stride 2, Flatten,
// and the layers that do nothing at inference (Dropout, noise, the Random*
// augmentation layers but RandomCrop, alone or in a Pipeline). It must end
// with Dense. Any other layer is refused by name.
//
// Files are safetensors files, as goras's model files, with I8 kernels and
// F32 scales and biases, and the quantized layers described as JSON in
// the metadata (format "goras-int8"); see Model.Save. Reading one trusts
// nothing in it.
//
// The package sits on floor 6 of the README's Layout, beside saving: it reads a
// goras.Model's layers and weights and never changes them; its kernels are
// internal/kernel's QGemmU8, QGemmI32, QuantizeU8 and MaxPool2x2U8.
package quantize
