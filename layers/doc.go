// Package layers holds Keras's layers with Keras's names and defaults.
//
// Every layer follows one lifecycle:
//
//   - construct: layers.Dense(50, layers.WithActivation("relu")) stores and
//     checks the configuration; a mistake is reported when the model is built;
//   - Build: from the per-sample input shape (no batch axis), create the
//     weights with the model's seeded generator and return the output shape;
//   - Call: add the layer's ops to a plan (forward and backward come with them);
//   - Config: the Keras get_config of the layer.
//
// Shapes are channels-last (NHWC), as Keras's default.
//
// The layers, by Keras name:
//
//   - core: Input, Dense, Activation, Flatten, Reshape, Permute, Rescaling;
//   - convolution and pooling: Conv1D, Conv2D, SeparableConv2D,
//     DepthwiseConv2D, Conv2DTranspose, MaxPooling1D, MaxPooling2D,
//     AveragePooling1D, AveragePooling2D, GlobalMaxPooling2D,
//     GlobalAveragePooling2D;
//   - regularization and normalization: Dropout, SpatialDropout2D,
//     GaussianNoise, GaussianDropout, BatchNormalization, LayerNormalization;
//   - activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax;
//   - merging: Add, Subtract, Multiply, Average, Maximum, Minimum,
//     Concatenate;
//   - cropping, padding and resizing: Cropping2D, ZeroPadding2D,
//     UpSampling2D, Resizing, CenterCrop;
//   - augmentation, active only in training: RandomRotation,
//     RandomTranslation, RandomZoom, RandomFlip, RandomContrast, RandomCrop
//     (at inference, its centred window of the aspect ratio, resized), and
//     Pipeline, which fuses consecutive augmentation layers into one
//     resampling;
//   - goras's own, which ONNX import makes: Clip, HardSigmoid, Erf,
//     ConstantArithmetic, PaddedPooling2D.
//
// FromConfig rebuilds any of them from its class name and Config, which is
// how model files are read; Register adds a layer of your own.
package layers
