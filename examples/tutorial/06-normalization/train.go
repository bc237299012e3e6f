package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// rawPixels returns the pixels as they are in the file, 0 to 255, as
// Keras's x_train.astype("float32") without the division.
func rawPixels(im *mnist.Images) *tensor.Tensor {
	x := tensor.New(im.N, im.Rows, im.Cols)
	d := x.Data()
	for i, v := range im.Pixels {
		d[i] = float32(v)
	}
	return x
}

// scaledPixels returns the pixels divided by 255, 0 to 1: x_train / 255.
func scaledPixels(im *mnist.Images) *tensor.Tensor {
	return im.Float32()
}

// newModel is the course's network; with batchNorm, a BatchNormalization
// layer sits between the hidden Dense layer and its relu.
func newModel(batchNorm bool, seed uint64) (*goras.Model, error) {
	hidden := []layers.Layer{layers.Dense(50, layers.WithActivation("relu"))}
	if batchNorm {
		hidden = []layers.Layer{
			layers.Dense(50),
			layers.BatchNormalization(),
			layers.Activation("relu"),
		}
	}
	stack := append([]layers.Layer{layers.Input(28, 28), layers.Flatten()}, hidden...)
	stack = append(stack, layers.Dense(10, layers.WithActivation("softmax")))
	model := goras.NewSequential(stack...)
	model.SetSeed(seed)
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		return nil, err
	}
	err = model.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.MeanSquaredError{}, Metrics: []string{"accuracy"}})
	return model, err
}

// trainedRun is one of the four trainings.
type trainedRun struct {
	name    string
	history *goras.History
}

// trainAll trains the network four times from the same seed: raw or scaled
// pixels, with or without BatchNormalization. goras's warnings (it notices
// raw pixels) go to w.
func trainAll(w io.Writer, train, test mnist.Dataset, o options) ([]trainedRun, error) {
	yTrain, err := mnist.ToCategorical(train.Y, 10)
	if err != nil {
		return nil, err
	}
	yTest, err := mnist.ToCategorical(test.Y, 10)
	if err != nil {
		return nil, err
	}
	var runs []trainedRun
	for _, c := range []struct {
		name      string
		pixels    func(*mnist.Images) *tensor.Tensor
		batchNorm bool
	}{
		{"raw pixels", rawPixels, false},
		{"pixels / 255", scaledPixels, false},
		{"raw + BatchNorm", rawPixels, true},
		{"/ 255 + BatchNorm", scaledPixels, true},
	} {
		model, err := newModel(c.batchNorm, o.seed)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "training on %s...\n", c.name)
		h, err := model.Fit(context.Background(), c.pixels(train.X), yTrain,
			goras.BatchSize(100), goras.Epochs(o.epochs), goras.Verbose(0),
			goras.ValidationData(c.pixels(test.X), yTest), goras.Warnings(w))
		if err != nil {
			return nil, fmt.Errorf("normalization: %s: %w", c.name, err)
		}
		runs = append(runs, trainedRun{c.name, h})
	}
	return runs, nil
}

// writeTable prints each run's training loss and validation accuracy,
// epoch by epoch.
func writeTable(w io.Writer, runs []trainedRun) {
	fmt.Fprintf(w, "\nTraining loss (mean squared error) / validation accuracy after each epoch:\n\n%5s", "epoch")
	for _, r := range runs {
		fmt.Fprintf(w, "  %19s", r.name)
	}
	fmt.Fprintln(w)
	for e := range runs[0].history.Epoch {
		fmt.Fprintf(w, "%5d", e+1)
		for _, r := range runs {
			h := r.history.History
			fmt.Fprintf(w, "  %10.4f / %5.2f%%", h["loss"][e], 100*h["val_accuracy"][e])
		}
		fmt.Fprintln(w)
	}
}

// firstLayer prints what the untrained network's first Dense layer computes
// on the first 100 training images, raw and scaled: its outputs z = x·W + b
// (before relu), and the same outputs normalized over the batch as
// BatchNormalization does, (z − mean) / √(variance + ε), worked out here by
// hand in float64 from the layer's weights.
func firstLayer(w io.Writer, im *mnist.Images, seed uint64) error {
	model, err := newModel(false, seed)
	if err != nil {
		return err
	}
	weights, err := model.GetWeights() // kernel (784, 50), bias (50), kernel (50, 10), bias (10)
	if err != nil {
		return err
	}
	kernel, bias := weights[0].Data(), weights[1].Data()
	const batch, units, eps = 100, 50, 1e-3 // ε: Keras's default epsilon
	fmt.Fprintf(w, "Pixels of the first image: min %d, max %d.\n", slices.Min(im.Image(0)), slices.Max(im.Image(0)))
	fmt.Fprintf(w, "The untrained first layer on %d images, unit 0 (of %d):\n", batch, units)
	for _, scale := range []float64{1, 255} {
		z := firstUnit(im.Slice(0, batch), kernel, bias[0], units, scale)
		mean, variance := meanVariance(z)
		normed := make([]float64, batch)
		for n, v := range z {
			normed[n] = (v - mean) / math.Sqrt(variance+eps)
		}
		name := "raw pixels:  "
		if scale == 255 {
			name = "pixels / 255:"
		}
		fmt.Fprintf(w, "  %s z of the first 3 images %8.3f %8.3f %8.3f  (batch mean %8.3f, std %7.3f)\n",
			name, z[0], z[1], z[2], mean, math.Sqrt(variance))
		fmt.Fprintf(w, "  %s normalized as BatchNormalization does: %6.3f %6.3f %6.3f\n",
			"             ", normed[0], normed[1], normed[2])
	}
	return softmaxAtStart(w, model, im)
}

// softmaxAtStart prints how sure the untrained network is of its answers
// on raw and scaled pixels: the mean of each image's largest probability.
func softmaxAtStart(w io.Writer, model *goras.Model, im *mnist.Images) error {
	for _, c := range []struct {
		name string
		x    *tensor.Tensor
	}{{"raw pixels", rawPixels(im.Slice(0, 100))}, {"pixels / 255", scaledPixels(im.Slice(0, 100))}} {
		probs, err := model.Predict(c.x, goras.Verbose(0))
		if err != nil {
			return err
		}
		var sure float64
		for n := range 100 {
			row := probs.Data()[n*10 : (n+1)*10]
			sure += float64(row[tensor.ArgMaxRow(row)]) / 100
		}
		fmt.Fprintf(w, "Untrained, on %-12s the largest of the 10 probabilities is %.3f on average.\n", c.name+",", sure)
	}
	fmt.Fprintln(w)
	return nil
}

// firstUnit is the first Dense layer's unit 0 before its relu, for each
// image: z = Σᵢ (pixelᵢ / scale) · kernel[i][0] + bias, where kernel is
// the layer's (784, units) kernel, row-major.
func firstUnit(im *mnist.Images, kernel []float32, bias float32, units int, scale float64) []float64 {
	z := make([]float64, im.N)
	for n := range im.N {
		z[n] = float64(bias)
		for i, p := range im.Image(n) {
			z[n] += float64(p) / scale * float64(kernel[i*units])
		}
	}
	return z
}

// meanVariance is the mean and the (population) variance of v, as
// BatchNormalization computes them over a batch.
func meanVariance(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x / float64(len(v))
	}
	for _, x := range v {
		variance += (x - mean) * (x - mean) / float64(len(v))
	}
	return mean, variance
}
