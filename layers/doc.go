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
//   - core: Input, Dense, Activation, Flatten, Reshape, Rescaling;
//   - convolution and pooling: Conv2D, MaxPooling2D, AveragePooling2D,
//     GlobalAveragePooling2D;
//   - regularization and normalization: Dropout, BatchNormalization;
//   - augmentation, active only in training: RandomRotation,
//     RandomTranslation, RandomZoom, and Pipeline, which fuses consecutive
//     augmentation layers into one resampling.
//
// FromConfig rebuilds any of them from its class name and Config, which is
// how model files are read; Register adds a layer of your own.
package layers
