package main

import (
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

// layerNets are networks of the layers the course's networks leave out
// (issue 13's), on MNIST digits, each layer with arguments that take the
// exporter down its different paths: ReLU's four forms, PReLU shared and
// not, Softmax over one axis and two, LayerNormalization over one axis and
// two, centred and not (opset 17's operator and opset 13's formula),
// Resize linear and nearest (Resize where any runtime rounds as goras,
// Gather where halves could round either way), windows cropped and padded,
// Conv1D valid, same and causal, dilated and strided, both 1-D poolings,
// SeparableConv2D dilated and with a depth multiplier, and the layers that
// do nothing at inference.
var layerNets = map[string]func() *goras.Model{
	"layers-image":  imageLayersNet,
	"layers-resize": resizeLayersNet,
	"layers-seq":    sequenceLayersNet,
}

// layerNetNames lists layerNets in the order the check writes them.
var layerNetNames = []string{"layers-image", "layers-resize", "layers-seq"}

func imageLayersNet() *goras.Model {
	return goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.RandomFlip(layers.FlipHorizontal),
		layers.RandomContrast(0.3, layers.WithValueRange(0, 1)),
		layers.GaussianNoise(0.1),
		layers.GaussianDropout(0.2),
		layers.CenterCrop(24, 24),
		layers.SeparableConv2D(6, 3, layers.WithPadding("same"), layers.WithDepthMultiplier(2), layers.WithActivation("relu")),
		layers.PReLU(layers.WithSharedAxes(1, 2)),
		layers.SpatialDropout2D(0.3),
		layers.MaxPooling2D(),
		layers.SeparableConv2D(8, 3, layers.WithDilationRate(2)),
		layers.ReLU(layers.WithMaxValue(0.8), layers.WithNegativeSlope(0.1), layers.WithThreshold(0.05)),
		layers.UpSampling2D(layers.WithSize(2, 3), layers.WithUpSamplingInterpolation("bilinear")),
		layers.LayerNormalization(),
		layers.Resizing(10, 10, layers.WithCropToAspectRatio(true)),
		layers.Flatten(),
		layers.Dense(10),
		layers.Softmax(),
	)
}

func resizeLayersNet() *goras.Model {
	return goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Resizing(20, 24, layers.WithInterpolation("nearest")),
		layers.UpSampling2D(),
		layers.RandomCrop(30, 30),
		layers.Conv2D(4, 3, layers.WithActivation("tanh")),
		layers.ReLU(layers.WithMaxValue(0.5)),
		// a window padded to the aspect ratio 12:10, 32 rows × 28 columns
		// read into 12 × 10: halves to round, a Gather.
		layers.Resizing(12, 10, layers.WithInterpolation("nearest"), layers.WithPadToAspectRatio(true), layers.WithFillValue(0.5)),
		layers.CenterCrop(8, 8),
		layers.ReLU(),
		layers.CenterCrop(14, 14), // larger than its input: resized
		layers.Flatten(),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
}

func sequenceLayersNet() *goras.Model {
	return goras.NewSequential(
		layers.Input(28, 28),
		layers.Conv1D(8, 3, layers.WithPadding("causal"), layers.WithDilationRate(2), layers.WithActivation("relu")),
		layers.PReLU(),
		layers.MaxPooling1D(),
		layers.Conv1D(8, 4, layers.WithPadding("same"), layers.WithStrides(2)),
		layers.ReLU(layers.WithNegativeSlope(0.2)),
		layers.AveragePooling1D(3, layers.WithStrides(2), layers.WithPadding("same")),
		layers.ReLU(layers.WithThreshold(0.05), layers.WithMaxValue(3)),
		layers.LayerNormalization(layers.WithAxes(-2, -1)),
		layers.Conv1D(6, 2, layers.WithActivation("softmax")),
		layers.ReLU(layers.WithNegativeSlope(0.1), layers.WithMaxValue(2)),
		layers.Softmax(layers.WithAxis(1)),
		layers.LayerNormalization(layers.WithRMSScaling(true)),
		layers.Softmax(layers.WithAxes(1, 2)),
		layers.Flatten(),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
}
