// Package tensor holds goras's one data type: a dense float32 array with a
// shape, stored row-major (the last axis varies fastest). Images are NHWC
// (batch, height, width, channels), as in Keras.
//
// A Tensor is a thin header over a []float32; views made by Reshape and Slice
// share that storage, so writing through a view changes the original. The hot
// loops live in internal/kernel and take the raw slice from Data.
package tensor
