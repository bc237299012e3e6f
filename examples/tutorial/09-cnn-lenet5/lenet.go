package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/tensor"
)

// newLeNet5 is LeNet-5 as the course draws it: 1 → 6 → 6 → 16 → 16 →
// fully connected. Each comment is the shape of a digit after the layer.
func newLeNet5(seed uint64) *goras.Model {
	model := goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Conv2D(6, 5, layers.WithPadding("same"), layers.WithActivation("relu")), // 28×28×6
		layers.MaxPooling2D(),                               // 14×14×6
		layers.Conv2D(16, 5, layers.WithActivation("relu")), // 10×10×16
		layers.MaxPooling2D(),                               // 5×5×16
		layers.Flatten(),                                    // 400
		layers.Dense(120, layers.WithActivation("relu")),    // 120
		layers.Dense(84, layers.WithActivation("relu")),     // 84
		layers.Dense(10, layers.WithActivation("softmax")),  // 10
	)
	model.SetSeed(seed)
	return model
}

// labResult is what the lab measured.
type labResult struct {
	model   *goras.Model
	history *goras.History
	scores  goras.Logs
	// handDiff is the largest difference between the first layer's
	// feature maps of the shown digit computed by goras and by hand.
	handDiff float64
}

// lab trains LeNet-5 on MNIST, validating on the test images after every
// epoch as the course's lab does, and draws its curves, its surest
// mistakes and its first layer.
func lab(w io.Writer, train, test mnist.Dataset, o options) (*labResult, error) {
	// A convolution looks at images, so each keeps its shape and gains a
	// channel axis: (N, 28, 28, 1), Keras's np.expand_dims(x, -1). The
	// pixels are divided by 255 batch by batch.
	xTrain, xTest := train.X.WithChannelAxis(), test.X.WithChannelAxis()
	yTrain, err := mnist.ToCategorical(train.Y, 10)
	if err != nil {
		return nil, err
	}
	yTest, err := mnist.ToCategorical(test.Y, 10)
	if err != nil {
		return nil, err
	}
	model := newLeNet5(o.seed)
	adam, err := optimizers.NewAdam()
	if err != nil {
		return nil, err
	}
	err = model.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
	if err != nil {
		return nil, err
	}
	if err := model.Summary(w); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "\nA digit through LeNet-5: %s\n\n", strings.Join(shapes(model), " → "))
	history, err := model.Fit(context.Background(), xTrain, yTrain,
		goras.BatchSize(o.batch), goras.Epochs(o.epochs), goras.ValidationData(xTest, yTest), goras.Output(w))
	if err != nil {
		return nil, err
	}
	scores, err := model.Evaluate(xTest, yTest, goras.Verbose(0))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "test loss: %.4f, test accuracy: %.4f\n\n", scores["loss"], scores["accuracy"])
	res := &labResult{model: model, history: history, scores: scores}
	if err := labPictures(w, res, test, o); err != nil {
		return nil, err
	}
	return res, nil
}

// shapes lists the shape of a digit as it enters LeNet-5 and after each
// layer, e.g. "28×28×6".
func shapes(model *goras.Model) []string {
	all := [][]int{model.InputShape()}
	for _, t := range model.Nodes() {
		all = append(all, t.Shape())
	}
	var s []string
	for _, sh := range all {
		parts := make([]string, len(sh))
		for i, v := range sh {
			parts[i] = strconv.Itoa(v)
		}
		s = append(s, strings.Join(parts, "×"))
	}
	return s
}

// labPictures draws the training curves, the test digits the network got
// wrong with the most confidence, and its first layer on the chosen digit.
func labPictures(w io.Writer, res *labResult, test mnist.Dataset, o options) error {
	x := test.X.WithChannelAxis().Float32()
	probs, err := res.model.Predict(test.X.WithChannelAxis(), goras.Verbose(0))
	if err != nil {
		return err
	}
	labels := make([]int, len(test.Y))
	for i, v := range test.Y {
		labels[i] = int(v)
	}
	curves, errors := filepath.Join(o.out, "09-curves.png"), filepath.Join(o.out, "09-errors.png")
	if err := plot.SaveCurves(res.history, curves); err != nil {
		return err
	}
	if err := plot.SaveMostConfidentErrors(errors, x, labels, probs, 12); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\nwrote %s\n", curves, errors)
	res.handDiff, err = firstLayer(w, res.model, test.X, o.digit, o.out)
	return err
}

// firstLayer computes the six feature maps the trained first layer makes
// of test image i, with goras (a model of that one layer, given its trained
// weights) and by hand (zero padding of 2 for "same", the 5×5
// convolution, the bias, relu), prints how far apart they are, and draws
// the six kernels over their maps. It returns the largest difference.
func firstLayer(w io.Writer, model *goras.Model, images *mnist.Images, i int, dir string) (float64, error) {
	digit := digitRows(images, i)
	weights, err := model.GetWeights() // conv kernel (5, 5, 1, 6), conv bias (6), ...
	if err != nil {
		return 0, err
	}
	first := goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Conv2D(6, 5, layers.WithPadding("same"), layers.WithActivation("relu")),
	)
	if err := first.Build(); err != nil {
		return 0, err
	}
	if err := first.SetWeights(weights[:2]); err != nil {
		return 0, err
	}
	x := tensor.New(1, 28, 28, 1)
	for i := range digit {
		for j, v := range digit[i] {
			x.Set(float32(v), 0, i, j, 0)
		}
	}
	maps, err := first.Predict(x, goras.Verbose(0)) // (1, 28, 28, 6)
	if err != nil {
		return 0, err
	}
	kernels, goMaps := make([][][]float64, 6), make([][][]float64, 6)
	diff := 0.0
	for f := range 6 {
		kernels[f] = kernelOf(weights[0], f)
		hand := convolve(pad(digit, 2), kernels[f])
		goMaps[f] = make([][]float64, 28)
		for i := range hand {
			goMaps[f][i] = make([]float64, 28)
			for j := range hand[i] {
				hand[i][j] = max(0, hand[i][j]+float64(weights[1].At(f))) // bias, then relu
				goMaps[f][i][j] = float64(maps.At(0, i, j, f))
				diff = math.Max(diff, math.Abs(hand[i][j]-goMaps[f][i][j]))
			}
		}
	}
	fmt.Fprintf(w, "The trained first layer on test image %d: 6 feature maps of 28×28; largest difference between goras's\n"+
		"and the hand convolution (padding, 5×5 kernel, bias, relu): %.2g\n", i, diff)
	path := filepath.Join(dir, "09-features.png")
	if err := saveFeatures(path, digit, kernels, goMaps); err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "wrote %s\n", path)
	return diff, nil
}

// kernelOf returns filter f of a Conv2D kernel of shape (5, 5, 1, filters).
func kernelOf(k *tensor.Tensor, f int) [][]float64 {
	out := make([][]float64, k.Dim(0))
	for u := range out {
		out[u] = make([]float64, k.Dim(1))
		for v := range out[u] {
			out[u][v] = float64(k.At(u, v, 0, f))
		}
	}
	return out
}
