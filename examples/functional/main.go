// Command functional builds a small residual network with the functional
// API (goras.Input, goras.Call, goras.NewModel): two blocks whose input is
// added back to their output (layers.Add), the "skip connection" of ResNet,
// which no stack of layers can express. It trains on MNIST for 3 epochs.
//
//	go run ./examples/functional
//
// Seed 1, with that command: on the 2-core Intel Xeon with AMX (2026-12-05,
// the run README.md's "Beyond Sequential" shows) val_accuracy 0.9908 after
// the third epoch, ending test_loss: 0.0291 - test_accuracy: 0.9908. When
// the example was written (2026-12-03, build d7bb91f) a 2-core AMD EPYC
// (Zen 4), shared with other builds, gave 0.9911 (test_loss 0.0292) in
// 18–21 s per epoch: another build on another CPU, whose sums round
// differently.
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

// residualBlock is relu(x + conv(relu(conv(x)))): two 3×3 convolutions
// that keep the shape of x, so that x can be added to what they make.
func residualBlock(x *goras.KerasTensor, filters int) *goras.KerasTensor {
	y := goras.Call(layers.Conv2D(filters, 3, layers.WithPadding("same"), layers.WithActivation("relu")), x)
	y = goras.Call(layers.Conv2D(filters, 3, layers.WithPadding("same")), y)
	sum := goras.Call(layers.Add(), x, y)
	return goras.Call(layers.Activation("relu"), sum)
}

// newModel is the network: 28×28×1 → conv 32 → pool → block → pool →
// conv 64 → block → flatten → 10 classes.
func newModel() (*goras.Model, error) {
	in := goras.Input(28, 28, 1)
	x := goras.Call(layers.Conv2D(32, 3, layers.WithPadding("same"), layers.WithActivation("relu")), in) // 28×28×32
	x = goras.Call(layers.MaxPooling2D(), x)                                                             // 14×14×32
	x = residualBlock(x, 32)
	x = goras.Call(layers.MaxPooling2D(), x)                                                           // 7×7×32
	x = goras.Call(layers.Conv2D(64, 3, layers.WithPadding("same"), layers.WithActivation("relu")), x) // 7×7×64
	x = residualBlock(x, 64)
	x = goras.Call(layers.Flatten(), x)
	out := goras.Call(layers.Dense(10, layers.WithActivation("softmax")), x)
	return goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{out})
}

func main() {
	train, test, err := mnist.LoadData(mnist.WithLogger(os.Stderr))
	if err != nil {
		log.Fatal(err)
	}
	xTrain, xTest := train.X.WithChannelAxis(), test.X.WithChannelAxis()
	yTrain, err := mnist.ToCategorical(train.Y, 10)
	if err != nil {
		log.Fatal(err)
	}
	yTest, err := mnist.ToCategorical(test.Y, 10)
	if err != nil {
		log.Fatal(err)
	}

	model, err := newModel()
	if err != nil {
		log.Fatal(err)
	}
	model.SetSeed(1)
	adam, err := optimizers.Get("adam")
	if err != nil {
		log.Fatal(err)
	}
	if err := model.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		log.Fatal(err)
	}
	if err := model.Summary(os.Stdout); err != nil {
		log.Fatal(err)
	}
	if _, err := model.Fit(context.Background(), xTrain, yTrain,
		goras.BatchSize(128), goras.Epochs(3), goras.ValidationData(xTest, yTest)); err != nil {
		log.Fatal(err)
	}
	scores, err := model.Evaluate(xTest, yTest, goras.Verbose(0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test_loss: %.4f - test_accuracy: %.4f\n", scores["loss"], scores["accuracy"])
}
