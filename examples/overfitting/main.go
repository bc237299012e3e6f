// Command overfitting is the course's lesson on over-fitting: a network much
// larger than its data learns the 1,000 training images by heart, and its
// accuracy on images it has not seen stays far behind. Dropout and L2
// regularization narrow the gap.
//
//	go run ./examples/overfitting
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
	"github.com/goras-ml/goras/regularizers"
)

const epochs = 40

func main() {
	train, test, err := mnist.LoadData(mnist.WithLogger(os.Stderr))
	if err != nil {
		log.Fatal(err)
	}
	// Only 1,000 training images: too few for 400,000 weights.
	xTrain, yTrain := train.X.Slice(0, 1000), train.Y[:1000]
	xTest, yTest := test.X, test.Y

	plain := run("without regularization", xTrain, yTrain, xTest, yTest, false)
	regular := run("dropout 0.5 + L2 0.0005", xTrain, yTrain, xTest, yTest, true)

	// Over-fitting shows in the test loss: without regularization it rises
	// again after its best epoch while training accuracy sits at 100 %. (The
	// regularized loss includes the L2 penalty, as Keras's val_loss does, so
	// compare its trend, not its level.)
	fmt.Println("\n                          train acc  test acc  gap     test loss (best epoch → last)")
	for _, r := range []result{plain, regular} {
		fmt.Printf("%-26s %.4f     %.4f    %.4f  %.4f → %.4f\n", r.name, r.train, r.test, r.train-r.test, r.bestLoss, r.lastLoss)
	}
}

type result struct {
	name               string
	train, test        float64
	bestLoss, lastLoss float64 // test loss at its lowest and at the end
}

func run(name string, xTrain *mnist.Images, yTrain mnist.Labels, xTest *mnist.Images, yTest mnist.Labels, regularize bool) result {
	var opts []layers.Option
	if regularize {
		opts = append(opts, layers.WithKernelRegularizer(regularizers.L2(0.0005)))
	}
	hidden := func() []layers.Layer {
		ls := []layers.Layer{layers.Dense(500, append(opts, layers.WithActivation("relu"))...)}
		if regularize {
			ls = append(ls, layers.Dropout(0.5))
		}
		return ls
	}
	stack := []layers.Layer{layers.Input(28, 28), layers.Flatten()}
	stack = append(stack, hidden()...)
	stack = append(stack, hidden()...)
	stack = append(stack, layers.Dense(10, layers.WithActivation("softmax")))
	model := goras.NewSequential(stack...)
	model.SetSeed(1)
	adam, err := optimizers.NewAdam()
	if err != nil {
		log.Fatal(err)
	}
	if err := model.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\n== %s\n", name)
	h, err := model.Fit(context.Background(), xTrain, yTrain, goras.BatchSize(100), goras.Epochs(epochs),
		goras.ValidationData(xTest, yTest), goras.Verbose(2))
	if err != nil {
		log.Fatal(err)
	}
	// Both accuracies measured the same way, in inference mode (dropout off).
	tr, err := model.Evaluate(xTrain, yTrain, goras.Verbose(0))
	if err != nil {
		log.Fatal(err)
	}
	te, err := model.Evaluate(xTest, yTest, goras.Verbose(0))
	if err != nil {
		log.Fatal(err)
	}
	r := result{name: name, train: tr["accuracy"], test: te["accuracy"], bestLoss: h.History["val_loss"][0]}
	for _, l := range h.History["val_loss"] {
		r.bestLoss = min(r.bestLoss, l)
	}
	r.lastLoss, _ = h.Last("val_loss")
	return r
}
