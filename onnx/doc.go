// Package onnx writes goras models as ONNX files, the common format of
// onnxruntime, PyTorch, TensorFlow and most serving stacks, so that a network
// trained in goras can be served anywhere, and reads ONNX files as goras
// models, so that a network trained elsewhere runs, and fine-tunes, in Go.
//
//	m, err := saving.Load("lenet5.safetensors")
//	...
//	err = onnx.Export(m, "lenet5.onnx")                                    // opset 17, NHWC input
//	err = onnx.Export(m, "lenet5-13.onnx", onnx.Opset(13), onnx.NCHW(true)) // for older runtimes, PyTorch's layout
//
//	m, err := onnx.Load("resnet.onnx") // from torch.onnx.export: an ordinary goras model
//
// or from the command line, goras export lenet5.safetensors lenet5.onnx and
// goras import resnet.onnx resnet.safetensors (goras predict, evaluate and
// summary read .onnx files directly).
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
//   - ReLU: Relu; Clip with a max_value; LeakyRelu with a negative_slope;
//     ThresholdedRelu with a threshold; Where(x > threshold, min(x,
//     max_value), slope·(x - threshold)) with both: each exactly goras's
//     values in float32;
//   - PReLU: PRelu, α laid out as its input is; Softmax: Softmax on its
//     axis (adjacent axes reshaped into one); LayerNormalization: the
//     LayerNormalization operator at opset 17, its formula (ReduceMean,
//     Sub, Mul, Sqrt, Div) at opset 13 and for rms_scaling;
//   - Conv1D: Conv with a 1-D kernel (K, C, F) written as (F, C, K),
//     "causal" padding as pads before; MaxPooling1D, AveragePooling1D:
//     MaxPool, AveragePool with 1-D windows; SeparableConv2D: a Conv with
//     one group per channel, then a 1×1 Conv;
//   - UpSampling2D: Resize (nearest: asymmetric, floor; bilinear: linear,
//     half_pixel); Resizing, CenterCrop, and RandomCrop at inference: a
//     Slice of the window read, a Pad with the fill value where it passes
//     the edge, and a Resize to the output with half-pixel centres (nearest
//     rounding halves up, or, where a runtime's float rounding of a half
//     could go either way, a Gather of goras's rows and columns);
//   - Rescaling: Mul and Add;
//   - Add, Subtract, Multiply, Average, Maximum, Minimum: Add, Sub, Mul
//     (chained over more than two inputs, in goras's order), Mean, Max, Min;
//     Concatenate: Concat on the matching axis;
//   - Dropout, SpatialDropout2D, GaussianNoise, GaussianDropout and the
//     augmentation layers (RandomRotation, RandomZoom, RandomTranslation,
//     RandomFlip, RandomContrast, and a Pipeline of them): nothing, as they
//     do nothing at inference.
//
// # Layout
//
// goras keeps images channels last (N, H, W, C), and sequences (N, L, C);
// ONNX's Conv and pooling work channels first (N, C, H, W), (N, C, L). The
// exporter transposes an image or a sequence once where a run of
// convolution, pooling, normalization and element-wise layers begins and
// once back where a layer needs goras's order (Flatten, Reshape, Dense, a
// custom layer, an output), so that Flatten sees the values in the order
// goras flattens them and Dense's kernel applies unchanged. With
// NCHW(true) image inputs are channels first and the first transpose
// disappears.
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
//
// # int8 models
//
// ExportQuantized writes an int8 model of the quantize package (goras
// quantize's files) in QDQ form: each activation a QuantizeLinear to
// uint8 at its calibrated scale and zero point, read through a
// DequantizeLinear; kernels int8 with a scale per output channel and zero
// point 0, biases int32, both read through DequantizeLinear; Conv, Relu,
// MaxPool, Flatten, Gemm and Softmax in float32 between them. onnxruntime
// fuses this into its integer operators (QLinearConv, QGemm); goras export
// writes it for an int8 file. There is no import of QDQ files.
//
// # Import
//
// Load (Decode, DecodeBytes) maps an ONNX graph, node by node, to goras's
// layers called on each other as a graph model (goras.Call): Summary,
// Predict, Fit, saving.Save and Export work on it as on any model. Weights
// are the file's initializers (float32; float16, bfloat16 and float64
// converted); layers are named after the nodes ("/conv1/Conv" gives conv1,
// goras's "dense/Gemm" gives dense) and the layer making an output after
// the output. Anything Load cannot map exactly is an error at load time
// naming the node, its operator and what is supported (Importable lists
// the operators): never a model that computes something else. Sizes read
// from the file are checked against the bytes it holds, and against
// goras's limits, before anything is allocated.
//
// Layout. goras keeps images channels last inside, as everywhere: an ONNX
// image input (N, C, H, W) becomes Input(H, W, C), and an image output
// (N, C, H, W) comes out (N, H, W, C). An input is taken as an image when
// it reaches a Conv, pooling, BatchNormalization or Pad through
// element-wise operators, or when C is 1 (the two layouts then hold the
// values in the same order, so a PyTorch MNIST model takes (28, 28, 1) as
// goras's own do); otherwise (a model goras exported channels last, or
// one that flattens its input) it keeps ONNX's shape. A sequence input
// (N, C, L) that reaches a Conv or pooling through element-wise operators
// becomes Input(L, C). So a PyTorch model's
// NCHW batch is fed transposed to NHWC, and predicts what PyTorch does
// within 1e-5 (2.4e-7 on the test networks). Inside, Transpose, Squeeze
// and Unsqueeze cost nothing: the importer only changes which axis it
// reads where, and adds a Permute layer where a layer needs ONNX's order,
// or a Reshape where only the shape differs. A Flatten of a channels-first
// image read only by Gemm or MatMul (PyTorch's LeNet-5) flattens goras's
// channels-last image instead, the Dense kernels' rows taken in that order:
// the same function, without a copy.
//
// The operators, and what they become:
//
//   - Gemm, MatMul (x computed, W constant; the Add of a bias and the
//     activation after it are taken in): Dense;
//   - Conv: Conv2D with one group, DepthwiseConv2D with one per input
//     channel (any other grouping is an error); with a 1-D kernel, Conv1D
//     (pads of Keras's "valid", "same" or "causal"); pads Keras's "valid" or
//     "same" cannot say become a ZeroPadding2D before it. A dilated Conv2D
//     gets a kernel with zeros between its taps (the same sums, over the
//     dilated window's area), which fine-tuning may fill: it is then an
//     ordinary convolution of that size;
//   - ConvTranspose (one group): Conv2DTranspose, "same" when Keras places
//     the output as ONNX does, else "valid" with the output padding and a
//     Cropping2D;
//   - MaxPool, AveragePool: on sequences, MaxPooling1D and
//     AveragePooling1D ("valid" or "same"); on images, MaxPooling2D and
//     AveragePooling2D when their
//     "valid" or "same" is the node's placement, else PaddedPooling2D;
//     count_include_pad 1 pads with a ZeroPadding2D first; ceil_mode's last
//     window, as PyTorch's, never starts in the padding;
//   - GlobalAveragePool, GlobalMaxPool, and ReduceMean, ReduceMax over two
//     axes of an image: GlobalAveragePooling2D, GlobalMaxPooling2D;
//   - BatchNormalization (inference): BatchNormalization over ONNX's channel
//     axis, with the node's epsilon and momentum; LayerNormalization, and
//     the formula exporters write before opset 17 (ReduceMean, Sub, Pow or
//     Mul, ReduceMean, Add, Sqrt, Div, then Mul and Add by constants):
//     LayerNormalization over as many trailing axes;
//   - PRelu with a constant slope: PReLU, shared along the axes where the
//     slope has 1; ThresholdedRelu: ReLU with that threshold;
//   - Resize of an image, and Upsample (opsets 7 to 9, nearest): by whole
//     factors, nearest with asymmetric coordinates and floor (PyTorch's
//     nearest) or linear with half-pixel centres, UpSampling2D; to other
//     sizes, half-pixel centres (PyTorch's align_corners=False; nearest
//     rounding halves up), Resizing; other placements, cubic and
//     antialiasing are errors;
//   - Relu, Sigmoid, Tanh, Softplus, Gelu (exact), Selu (Keras's constants),
//     Softmax and LogSoftmax (on one axis, or from opset 12 down on the
//     axes from it on): Activation, or the activation of the Dense or
//     Conv2D before; LeakyRelu, Elu: LeakyReLU, ELU (Activation for goras's
//     own slopes); HardSigmoid, Erf, Clip: HardSigmoid, Erf, Clip (Clip(0,
//     ∞) is relu; a min above the max gives the max everywhere, as ONNX
//     defines it);
//   - Add, Sub, Mul, Div: Add, Subtract, Multiply on two computed tensors of
//     one shape; with one number, Rescaling (a Mul then an Add of numbers
//     is one), or ConstantArithmetic for Div; with a constant tensor
//     broadcast over the samples, ConstantArithmetic;
//   - Pad (zeros, rows and columns): ZeroPadding2D, Cropping2D for negative
//     pads; Slice of an image's rows and columns (step 1, or any step
//     that takes one row or column): Cropping2D;
//   - Flatten, Reshape: Flatten, Reshape (the first axis stays the batch);
//     Concat: Concatenate; Transpose, Squeeze, Unsqueeze: nothing (layout);
//   - Dropout, Identity: nothing; Constant, ConstantOfShape, Shape, Gather,
//     Slice, Concat, Reshape, Cast and arithmetic on constants are worked
//     out while loading, as PyTorch's exporter emits them around a flatten
//     (x.view(x.size(0), -1)) or a pad.
//
// Layers that Keras has (Permute, ZeroPadding2D, Cropping2D,
// GlobalMaxPooling2D, DepthwiseConv2D, Conv2DTranspose, LeakyReLU, ELU)
// keep Keras's names and configs; Clip, HardSigmoid, Erf,
// ConstantArithmetic and PaddedPooling2D are goras's own. All of them
// export back to the operators they came from.
package onnx
