// Command readme is the course's first lab as the README shows it under
// "The course in Go": the README's block is this file from its package
// clause on, so that it compiles as pasted (main_test.go holds them equal).
//
//	go run ./examples/readme
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

func main() {
	train, test, err := mnist.LoadData() // (60000, 28, 28) uint8 and labels, as Keras
	if err != nil {
		log.Fatal(err)
	}
	xTrain, xTest := train.X.Float32(), test.X.Float32() // x_train / 255
	yTrain, _ := mnist.ToCategorical(train.Y, 10)        // to_categorical
	yTest, _ := mnist.ToCategorical(test.Y, 10)

	model := goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	model.SetSeed(1)
	sgd, _ := optimizers.NewSGD(optimizers.LearningRate(0.1))
	model.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.MeanSquaredError{}, Metrics: []string{"accuracy"}})
	model.Summary(os.Stdout) // 39,760 params
	history, err := model.Fit(context.Background(), xTrain, yTrain, goras.BatchSize(100), goras.Epochs(10),
		goras.ValidationData(xTest, yTest))
	if err != nil {
		log.Fatal(err)
	}
	scores, _ := model.Evaluate(xTest, yTest)
	fmt.Printf("test_loss: %.4f - test_accuracy: %.4f\n", scores["loss"], scores["accuracy"])
	history.Save("history.csv")
}
