// Package onnx writes goras models as ONNX files, the common format of
// onnxruntime, PyTorch, TensorFlow and most serving stacks, so that a network
// trained in goras can be served anywhere.
//
//	m, err := saving.Load("lenet5.safetensors")
//	...
//	err = onnx.Export(m, "lenet5.onnx")                                    // opset 17, NHWC input
//	err = onnx.Export(m, "lenet5-13.onnx", onnx.Opset(13), onnx.NCHW(true)) // for older runtimes, PyTorch's layout
//
// or from the command line, goras export lenet5.safetensors lenet5.onnx.
//
// # What is written
//
// One graph with the model's inputs (named after its Input layers; an
// unnamed one is "input_layer") and outputs (named after the layers that
// make them), float32, with the model's per-sample shapes after a dynamic
// batch dimension "N". Every weight is an initializer named as in the model
// ("dense/kernel"); nodes are named after their layer ("conv2d/Conv").
// Opset 17 is the default (IR version 8); Opset(13) writes IR version 7
// with the same operators, each of which means the same in both.
//
// The layers, and the operators they become:
//
//   - Dense: Gemm, then its activation;
//   - Conv2D: Conv, the kernel (KH, KW, C, F) written as (F, C, KH, KW) and
//     "same" padding as explicit pads with the odd pixel at the bottom and
//     right, as goras (and TensorFlow) pad;
//   - MaxPooling2D, AveragePooling2D: MaxPool, AveragePool (padding not
//     counted); GlobalAveragePooling2D: GlobalAveragePool and Flatten, or
//     ReduceMean on a channels-last image;
//   - BatchNormalization: BatchNormalization with the moving statistics (the
//     inference formula), or Mul and Add along the last axis for inputs of
//     other ranks than (N, C) and images;
//   - Flatten, Reshape: Flatten, Reshape (batch inferred);
//   - Activation and the activation of Dense and Conv2D: Relu, Sigmoid,
//     Tanh, Softmax and LogSoftmax (on goras's last axis), LeakyRelu, Elu,
//     Selu, Softplus; silu as x·Sigmoid(x), gelu as its erf formula;
//   - Rescaling: Mul and Add;
//   - Add, Subtract, Multiply, Average, Maximum, Minimum: Add, Sub, Mul
//     (chained over more than two inputs, in goras's order), Mean, Max, Min;
//     Concatenate: Concat on the matching axis;
//   - Dropout and the augmentation layers (RandomRotation, RandomZoom,
//     RandomTranslation, and a Pipeline of them): nothing, as they do nothing
//     at inference.
//
// # Layout
//
// goras keeps images channels last (N, H, W, C); ONNX's Conv and pooling
// work channels first (N, C, H, W). The exporter transposes an image once
// where a run of convolution, pooling, normalization and element-wise
// layers begins and once back where a layer needs goras's order (Flatten,
// Reshape, Dense, a custom layer, an output), so that Flatten sees the
// values in the order goras flattens them and Dense's kernel applies
// unchanged. With NCHW(true) image inputs are channels first and the first
// transpose disappears.
//
// # Layers of your own
//
// A layer the exporter does not know makes Export fail with an error naming
// the layer and its class. A custom layer declares how it exports by
// implementing Exporter: it adds nodes and initializers to the Graph it is
// given (see examples/custom_layer, whose PSwish activation does).
//
// onnx/check/check.sh holds the exported files of the course's networks to
// onnx.checker.check_model and to onnxruntime's outputs (docs/onnx-check.txt
// has a run).
package onnx
