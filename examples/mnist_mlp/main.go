// Command mnist_mlp is the course's first lab in goras, chapter by chapter:
// load MNIST, look at a digit, build Flatten → Dense(50, relu) →
// Dense(10, softmax), judge it with mean squared error, train it with SGD
// (learning rate 0.1, batch 100, 10 epochs) and test it.
//
//	go run ./examples/mnist_mlp
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

func main() {
	// 1. The data: 60,000 training and 10,000 test images of 28×28 pixels.
	train, test, err := mnist.LoadData(mnist.WithLogger(os.Stderr))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("x_train:", train.X.N, "×", train.X.Rows, "×", train.X.Cols, " y_train:", len(train.Y))
	fmt.Println("x_test: ", test.X.N, "×", test.X.Rows, "×", test.X.Cols, " y_test: ", len(test.Y))

	// 2. Look at the first digit, as the course does with imshow.
	fmt.Printf("\nThe first training image is a %d:\n%s\n", train.Y[0], ascii(train.X, 0))

	// 3. Normalize: pixels 0..255 become 0..1 (x_train / 255), and labels
	// become one-hot vectors (to_categorical), as mean squared error needs.
	xTrain, xTest := train.X.Float32(), test.X.Float32()
	yTrain, err := mnist.ToCategorical(train.Y, 10)
	if err != nil {
		log.Fatal(err)
	}
	yTest, err := mnist.ToCategorical(test.Y, 10)
	if err != nil {
		log.Fatal(err)
	}

	// 4. A set of functions: the network. Flatten turns each 28×28 image into
	// 784 numbers; Dense(50, relu) is the hidden layer; Dense(10, softmax)
	// gives one probability per digit. Writing the layers out is the lesson;
	// the same network is applications.MLP in goras's zoo (goras train).
	model := goras.NewSequential(
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	model.SetSeed(1)

	// 5. How good is a function: the loss, mean squared error. How to find the
	// best one: gradient descent (SGD, learning rate 0.1), with the gradient
	// computed by back-propagation.
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		log.Fatal(err)
	}
	if err := model.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.MeanSquaredError{}, Metrics: []string{"accuracy"}}); err != nil {
		log.Fatal(err)
	}
	if err := model.Summary(os.Stdout); err != nil {
		log.Fatal(err)
	}

	// 6. Train: 100 images per step, 10 passes over the data, checking the
	// test set after every epoch.
	history, err := model.Fit(context.Background(), xTrain, yTrain,
		goras.BatchSize(100), goras.Epochs(10), goras.ValidationData(xTest, yTest))
	if err != nil {
		log.Fatal(err)
	}
	acc, _ := history.Last("accuracy")
	fmt.Printf("\nLast training accuracy: %.4f\n", acc)

	// 7. Test.
	scores, err := model.Evaluate(xTest, yTest, goras.Verbose(0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test_loss: %.4f - test_accuracy: %.4f\n", scores["loss"], scores["accuracy"])

	// 8. Predict the first test digits.
	probs, err := model.Predict(xTest.Slice(0, 10), goras.Verbose(0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("predicted:", tensor.ArgMax(probs))
	fmt.Println("true:     ", test.Y[:10])
}

// ascii draws image i with characters, darker pixels denser.
func ascii(im *mnist.Images, i int) string {
	const shades = " .:-=+*#%@"
	var b strings.Builder
	px := im.Pixels[i*im.Rows*im.Cols : (i+1)*im.Rows*im.Cols]
	for r := 0; r < im.Rows; r++ {
		for c := 0; c < im.Cols; c++ {
			b.WriteByte(shades[int(px[r*im.Cols+c])*(len(shades)-1)/255])
		}
		b.WriteByte('\n')
	}
	return b.String()
}
