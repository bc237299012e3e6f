// Command mnist_cnn is the course's second lab: a convolutional network,
// LeNet-5 as the course draws it (1 → 6 → 6 → 16 → 16 → dense), trained on
// MNIST with Adam and cross-entropy.
//
//	go run ./examples/mnist_cnn
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
	// 1. The data. A convolution looks at images, not at rows of 784
	// numbers, so each image keeps its shape and gains a channel axis:
	// (60000, 28, 28, 1), as np.expand_dims(x, -1) does in Keras. The
	// images stay uint8 in memory and are scaled to [0, 1] batch by batch.
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

	// 2. LeNet-5: two rounds of convolution (small 5×5 filters that slide
	// over the image and share their weights) and max pooling (keep the
	// strongest response of each 2×2 patch), then fully connected layers.
	// Writing the layers out is the lesson; the same network is
	// applications.LeNet5 in goras's zoo (goras train --model lenet5).
	model := goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Conv2D(6, 5, layers.WithPadding("same"), layers.WithActivation("relu")), // 28×28×6
		layers.MaxPooling2D(),                               // 14×14×6
		layers.Conv2D(16, 5, layers.WithActivation("relu")), // 10×10×16
		layers.MaxPooling2D(),                               // 5×5×16
		layers.Flatten(),
		layers.Dense(120, layers.WithActivation("relu")),
		layers.Dense(84, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	model.SetSeed(1)

	// 3. Cross-entropy judges probabilities better than mean squared error,
	// and Adam adapts the step of every weight.
	adam, err := optimizers.NewAdam()
	if err != nil {
		log.Fatal(err)
	}
	if err := model.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		log.Fatal(err)
	}
	if err := model.Summary(os.Stdout); err != nil {
		log.Fatal(err)
	}

	// 4. Train, watching the test set after every epoch.
	if _, err := model.Fit(context.Background(), xTrain, yTrain,
		goras.BatchSize(128), goras.Epochs(10), goras.ValidationData(xTest, yTest)); err != nil {
		log.Fatal(err)
	}
	scores, err := model.Evaluate(xTest, yTest, goras.Verbose(0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test_loss: %.4f - test_accuracy: %.4f\n", scores["loss"], scores["accuracy"])
}
