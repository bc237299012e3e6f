// Command 08-lab1-mlp is chapter 8 of the tutorial, the course's first lab:
// a multilayer perceptron on MNIST, line for line as the course writes it
// in Keras. Load the digits, look at them, divide by 255, one-hot encode
// the labels, build Flatten → Dense(50, relu) → Dense(10, softmax), compile
// with mean squared error and SGD (learning rate 0.1), train 10 epochs of
// batches of 100, evaluate on the test set and predict. It also draws the
// digits, the training curves, its predictions and the confusion matrix.
//
//	go run ./examples/tutorial/08-lab1-mlp    # ~10 s; ≥ 90 % on the test set
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
)

// options are the program's flags.
type options struct {
	// out is the directory the pictures are written to.
	out string
	// epochs, batch and rate are the lab's training settings: 10 epochs
	// of batches of 100 with learning rate 0.1.
	epochs, batch int
	rate          float64
	// train and test are how many of MNIST's first training and test
	// images are used.
	train, test int
	// seed draws the initial weights and the shuffling.
	seed uint64
}

// defaults are the lab's settings, those of `goras train --model mlp`.
func defaults() options {
	return options{out: "docs/tutorial/img", epochs: 10, batch: 100, rate: 0.1, train: 60000, test: 10000, seed: 1}
}

func main() {
	o := defaults()
	flag.StringVar(&o.out, "out", o.out, "directory the pictures are written to")
	flag.IntVar(&o.epochs, "epochs", o.epochs, "passes over the training images")
	flag.IntVar(&o.batch, "batch", o.batch, "images per training step")
	flag.Float64Var(&o.rate, "lr", o.rate, "learning rate of SGD")
	flag.IntVar(&o.train, "train", o.train, "number of training images (the first N of 60,000)")
	flag.IntVar(&o.test, "test", o.test, "number of test images (the first N of 10,000)")
	flag.Uint64Var(&o.seed, "seed", o.seed, "seed of the initial weights and the shuffling")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// check says which flag is out of range.
func (o options) check() error {
	switch {
	case o.epochs < 1 || o.batch < 1:
		return fmt.Errorf("lab1: -epochs and -batch must be at least 1, got %d and %d", o.epochs, o.batch)
	case o.rate <= 0:
		return fmt.Errorf("lab1: -lr must be above 0, got %g", o.rate)
	case o.train < 24 || o.train > 60000:
		return fmt.Errorf("lab1: -train must be from 24 to 60000, got %d", o.train)
	case o.test < 24 || o.test > 10000:
		return fmt.Errorf("lab1: -test must be from 24 to 10000, got %d", o.test)
	}
	return nil
}

// run is the lab; lab returns what it measured, for the tests.
func run(w io.Writer, o options) error {
	_, err := lab(w, o)
	return err
}
