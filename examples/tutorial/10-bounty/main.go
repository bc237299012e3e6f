// Command 10-bounty is chapter 10 of the tutorial: the course's 99.5 %
// bounty, and reading your own handwriting.
//
// It trains goras's `fast` recipe (two convolution blocks with batch
// normalization, 99 % in under a minute) by the bounty's protocol: train on
// the first 55,000 training images, validate on the last 5,000 after every
// epoch, read the test set once at the end. Then it writes ten digits
// "by hand" — strokes of a round pen, dark ink on light paper, as a
// phone picture of a digit on paper would be — as PNG files, reads them
// back the way `goras predict` does, and prints and draws what the trained
// network reads. With -save FILE it keeps the trained model, for
// `goras predict FILE picture.png` and the studio.
//
//	go run ./examples/tutorial/10-bounty -save fast.safetensors    # ~40 s on 2 cores
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/goras-ml/goras/recipes"
)

// options are the program's flags.
type options struct {
	// out is the directory the pictures are written to.
	out string
	// save is the file the trained model is written to, "" for none.
	save string
	// epochs overrides the recipe's 3 epochs when > 0.
	epochs int
	// train is the number of training images, from the start of MNIST's
	// training set; val the number of validation images, from the end;
	// test the number of test images, from the start of the test set.
	train, val, test int
	// seed draws the initial weights, the shuffling and the dropout masks.
	seed uint64
}

// defaults are the recipe's protocol: 55,000 training and 5,000
// validation images, seed 1.
func defaults() options {
	return options{out: "docs/tutorial/img", train: recipes.TrainSamples, val: recipes.ValidationSamples, test: 10000, seed: 1}
}

func main() {
	o := defaults()
	flag.StringVar(&o.out, "out", o.out, "directory the pictures (and the hand-written digits) are written to")
	flag.StringVar(&o.save, "save", "", "write the trained model to `FILE`.safetensors, for goras predict (default: not saved)")
	flag.IntVar(&o.epochs, "epochs", 0, "epochs of training (default: the recipe's 3)")
	flag.IntVar(&o.train, "train", o.train, "number of training images (the first N of 60,000)")
	flag.IntVar(&o.val, "val", o.val, "number of validation images (the last N of 60,000)")
	flag.IntVar(&o.test, "test", o.test, "number of test images (the first N of 10,000)")
	flag.Uint64Var(&o.seed, "seed", o.seed, "seed of the weights, the shuffling and the dropout masks")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// check says which flag is out of range.
func (o options) check() error {
	switch {
	case o.epochs < 0:
		return fmt.Errorf("bounty: -epochs must be 0 (the recipe's) or more, got %d", o.epochs)
	case o.val < 1 || o.val > 30000:
		return fmt.Errorf("bounty: -val must be from 1 to 30000, got %d", o.val)
	case o.test < 1 || o.test > 10000:
		return fmt.Errorf("bounty: -test must be from 1 to 10000, got %d", o.test)
	case o.train < 1 || o.train > 60000-o.val:
		return fmt.Errorf("bounty: -train must be from 1 to %d (60,000 minus -val), got %d", 60000-o.val, o.train)
	}
	return nil
}

// run is the chapter: train the recipe, then read the hand-written digits.
func run(w io.Writer, o options) error {
	if err := o.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	model, err := trainFast(w, o)
	if err != nil {
		return err
	}
	_, err = readOwn(w, model, o.out)
	return err
}
