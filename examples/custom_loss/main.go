// Command custom_loss trains the course's kind of network, a multilayer
// perceptron, on MNIST with a loss and a metric written outside goras: the
// focal loss (focal.go, an op of its own) and the macro-averaged F1 score
// (metric.go). Both register their names, so the model compiles with them
// as with any built-in, and a saved model loads back with them
// (main_test.go checks it).
//
//	go run ./examples/custom_loss
//
// One run on 2 cores (seed 1, 10 epochs of batch 128, 5 s in all):
//
//	test_macro_f1: 0.9779
//	test_loss: 0.0079 - test_accuracy: 0.9781
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/optimizers"
)

func main() {
	// 1. The data: pixels scaled to [0, 1], labels one-hot, as the focal
	// loss needs.
	train, test, err := mnist.LoadData(mnist.WithLogger(os.Stderr))
	if err != nil {
		log.Fatal(err)
	}
	xTrain, xTest := train.X.Float32(), test.X.Float32()
	yTrain, err := mnist.ToCategorical(train.Y, 10)
	if err != nil {
		log.Fatal(err)
	}
	yTest, err := mnist.ToCategorical(test.Y, 10)
	if err != nil {
		log.Fatal(err)
	}

	// 2. Flatten → Dense(256, relu) → Dense(10, softmax): the focal loss
	// reads probabilities.
	model := goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(256, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	model.SetSeed(1)

	// 3. The loss is a value of the user's type; the metric is found by the
	// name it registered.
	adam, err := optimizers.NewAdam()
	if err != nil {
		log.Fatal(err)
	}
	err = model.Compile(goras.CompileOptions{
		Optimizer: adam,
		Loss:      FocalLoss{Alpha: 0.25, Gamma: 2},
		Metrics:   []string{"accuracy", "macro_f1"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// 4. Train and test.
	if _, err := model.Fit(context.Background(), xTrain, yTrain, goras.BatchSize(128), goras.Epochs(10)); err != nil {
		log.Fatal(err)
	}
	scores, err := model.Evaluate(xTest, yTest, goras.Verbose(0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test_macro_f1: %.4f\n", scores["macro_f1"])
	fmt.Printf("test_loss: %.4f - test_accuracy: %.4f\n", scores["loss"], scores["accuracy"])
}
