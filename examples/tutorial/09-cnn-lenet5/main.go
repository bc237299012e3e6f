// Command 09-cnn-lenet5 is chapter 9 of the tutorial: convolution, pooling,
// and the course's second lab, LeNet-5.
//
// It slides a 3×3 kernel over a digit by hand and with goras's Conv2D,
// pools the result with MaxPooling2D, and draws the four; then trains
// LeNet-5 as the course draws it (1 → 6 → 6 → 16 → 16 → fully connected)
// on MNIST, prints its layer shapes and test accuracy (the lab asks for
// 97 %), and draws what its first layer learned: its six kernels and the
// six feature maps they make of a digit.
//
//	go run ./examples/tutorial/09-cnn-lenet5    # ~2 minutes on 2 cores
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/goras-ml/goras/datasets/mnist"
)

// options are the program's flags.
type options struct {
	// out is the directory the pictures are written to.
	out string
	// epochs and batch are the lab's training settings.
	epochs, batch int
	// train and test are how many of MNIST's first training and test
	// images are used.
	train, test int
	// digit is the test image the convolution and the feature maps are
	// shown on.
	digit int
	// seed draws the initial weights and the shuffling.
	seed uint64
}

// defaults are the lab's settings.
func defaults() options {
	return options{out: "docs/tutorial/img", epochs: 10, batch: 128, train: 60000, test: 10000, digit: 0, seed: 1}
}

func main() {
	o := defaults()
	flag.StringVar(&o.out, "out", o.out, "directory the pictures are written to")
	flag.IntVar(&o.epochs, "epochs", o.epochs, "passes over the training images")
	flag.IntVar(&o.batch, "batch", o.batch, "images per training step")
	flag.IntVar(&o.train, "train", o.train, "number of training images (the first N of 60,000)")
	flag.IntVar(&o.test, "test", o.test, "number of test images (the first N of 10,000)")
	flag.IntVar(&o.digit, "digit", o.digit, "the test image the convolution and the feature maps are shown on")
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
		return fmt.Errorf("lenet5: -epochs and -batch must be at least 1, got %d and %d", o.epochs, o.batch)
	case o.train < 1 || o.train > 60000:
		return fmt.Errorf("lenet5: -train must be from 1 to 60000, got %d", o.train)
	case o.test < 12 || o.test > 10000:
		return fmt.Errorf("lenet5: -test must be from 12 to 10000, got %d", o.test)
	case o.digit < 0 || o.digit >= o.test:
		return fmt.Errorf("lenet5: -digit must be a test image, from 0 to -test−1 (%d), got %d", o.test-1, o.digit)
	}
	return nil
}

// run is the chapter: convolution and pooling by hand and by goras, then
// the lab.
func run(w io.Writer, o options) error {
	if err := o.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	train, test, err := mnist.LoadData()
	if err != nil {
		return err
	}
	train = mnist.Dataset{X: train.X.Slice(0, o.train), Y: train.Y[:o.train]}
	test = mnist.Dataset{X: test.X.Slice(0, o.test), Y: test.Y[:o.test]}
	if _, err := slide(w, test.X, o.digit, o.out); err != nil {
		return err
	}
	_, err = lab(w, train, test, o)
	return err
}
