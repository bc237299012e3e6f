package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/tensor"
)

// outcome is what the lab measured.
type outcome struct {
	model     *goras.Model
	history   *goras.History
	scores    goras.Logs
	predicted []int // the predicted digit of each test image
}

// lab is the course's first lab, step by step as the Keras original.
func lab(w io.Writer, o options) (*outcome, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	// (x_train, y_train), (x_test, y_test) = mnist.load_data()
	train, test, err := mnist.LoadData()
	if err != nil {
		return nil, err
	}
	train = mnist.Dataset{X: train.X.Slice(0, o.train), Y: train.Y[:o.train]}
	test = mnist.Dataset{X: test.X.Slice(0, o.test), Y: test.Y[:o.test]}
	fmt.Fprintf(w, "x_train: %s, y_train: (%d,), x_test: %s, y_test: (%d,)\n",
		shape(train.X.Shape()), len(train.Y), shape(test.X.Shape()), len(test.Y))

	// x_train = x_train / 255; x_test = x_test / 255
	xTrain, xTest := train.X.Float32(), test.X.Float32()
	// y_train = to_categorical(y_train, 10); y_test = to_categorical(y_test, 10)
	yTrain, err := mnist.ToCategorical(train.Y, 10)
	if err != nil {
		return nil, err
	}
	yTest, err := mnist.ToCategorical(test.Y, 10)
	if err != nil {
		return nil, err
	}
	// plt.imshow(x_train[i]) for the first 24 digits, with their labels
	if err := save(w, o.out, "08-digits.png", func(p string) error {
		return plot.SaveDigitGrid(p, xTrain.Slice(0, 24), ints(train.Y[:24]), nil, 12)
	}); err != nil {
		return nil, err
	}

	model := newModel(o.seed)
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(o.rate))
	if err != nil {
		return nil, err
	}
	err = model.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.MeanSquaredError{}, Metrics: []string{"accuracy"}})
	if err != nil {
		return nil, err
	}
	if err := model.Summary(w); err != nil {
		return nil, err
	}

	history, err := model.Fit(context.Background(), xTrain, yTrain,
		goras.BatchSize(o.batch), goras.Epochs(o.epochs), goras.ValidationData(xTest, yTest), goras.Output(w))
	if err != nil {
		return nil, err
	}

	scores, err := model.Evaluate(xTest, yTest, goras.Output(w))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "test loss: %.4f, test accuracy: %.4f\n", scores["loss"], scores["accuracy"])

	probs, err := model.Predict(xTest, goras.Verbose(0))
	if err != nil {
		return nil, err
	}
	predicted := tensor.ArgMax(probs)
	fmt.Fprintln(w, "predicted:", predicted[:10])
	fmt.Fprintln(w, "true:     ", ints(test.Y[:10]))

	if err := pictures(w, o.out, history, xTest, ints(test.Y), predicted); err != nil {
		return nil, err
	}
	return &outcome{model: model, history: history, scores: scores, predicted: predicted}, nil
}

// newModel is the course's network, layer by layer as the Keras original
// adds them: 784 pixels → 50 neurons with relu → 10 with softmax.
func newModel(seed uint64) *goras.Model {
	model := goras.NewSequential()
	model.Add(layers.Input(28, 28))
	model.Add(layers.Flatten())
	model.Add(layers.Dense(50, layers.WithActivation("relu")))
	model.Add(layers.Dense(10, layers.WithActivation("softmax")))
	model.SetSeed(seed)
	return model
}

// pictures draws the training curves, the first 24 test digits with the
// model's answers (wrong ones in red), and the confusion matrix.
func pictures(w io.Writer, dir string, h *goras.History, xTest *tensor.Tensor, labels, predicted []int) error {
	if err := save(w, dir, "08-curves.png", func(p string) error { return plot.SaveCurves(h, p) }); err != nil {
		return err
	}
	if err := save(w, dir, "08-predictions.png", func(p string) error {
		return plot.SaveDigitGrid(p, xTest.Slice(0, 24), labels[:24], predicted[:24], 12)
	}); err != nil {
		return err
	}
	return save(w, dir, "08-confusion.png", func(p string) error {
		return plot.SaveConfusion(p, metrics.ConfusionMatrix(labels, predicted, 10))
	})
}

// save writes one picture into dir and says so.
func save(w io.Writer, dir, name string, draw func(path string) error) error {
	path := filepath.Join(dir, name)
	if err := draw(path); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", path)
	return nil
}

// shape writes a shape as Python prints one: (60000, 28, 28).
func shape(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// ints turns labels into the []int the pictures take.
func ints(labels mnist.Labels) []int {
	v := make([]int, len(labels))
	for i, l := range labels {
		v[i] = int(l)
	}
	return v
}
