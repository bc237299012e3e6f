// Command 07-overfitting is chapter 7 of the tutorial: over-fitting and its
// cures.
//
// A network of 648,010 weights (Flatten → Dense(500, relu) →
// Dense(500, relu) → Dense(10, softmax), Adam) is trained on MNIST's first
// 1,000 training images and watched on a validation set, the last 10,000
// training images, which it never trains on. Its training and validation
// curves part: it learns the 1,000 images by heart. The program then
// trains the same network, from the same seed, with each cure the course
// names — stopping early on the validation set, L2 regularization,
// dropout, more data made by augmentation, more real data — reads the test
// set once per run, prints a table and draws each run's curves. Last, it
// estimates the plain network's accuracy from the 1,000 images alone by
// k-fold cross-validation.
//
//	go run ./examples/tutorial/07-overfitting    # about 2 minutes on 2 cores
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/datasets/mnist"
)

// options are the program's flags.
type options struct {
	// out is the directory the pictures are written to.
	out string
	// epochs is the number of passes over the training images; batch
	// the number of images per training step.
	epochs, batch int
	// train is the number of training images (from the start of MNIST's
	// training set).
	train int
	// more are the numbers of images of the "more data" runs.
	more []int
	// val is the number of validation images, from the end of MNIST's
	// training set; test the number of test images.
	val, test int
	// hidden is the width of the two hidden layers.
	hidden int
	// folds is k of the cross-validation, 0 for none.
	folds int
	// seed draws the initial weights, the shuffling, the dropout masks
	// and the augmentation, the same for every run.
	seed uint64
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "docs/tutorial/img", "directory the pictures are written to")
	flag.IntVar(&o.epochs, "epochs", 50, "passes over the training images")
	flag.IntVar(&o.batch, "batch", 100, "images per training step")
	flag.IntVar(&o.train, "train", 1000, "number of training images (the first N of MNIST's 60,000)")
	more := flag.String("more", "5000,50000", "numbers of training images of the \"more data\" runs, comma-separated (\"\": none)")
	flag.IntVar(&o.val, "val", 10000, "number of validation images (the last N of MNIST's training images)")
	flag.IntVar(&o.test, "test", 10000, "number of test images (the first N of 10,000)")
	flag.IntVar(&o.hidden, "hidden", 500, "neurons in each of the two hidden layers")
	flag.IntVar(&o.folds, "folds", 5, "k of the k-fold cross-validation on the training images (0: none)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the weights, shuffling, dropout and augmentation")
	flag.Parse()
	var err error
	if o.more, err = parseInts(*more); err != nil {
		log.Fatal(err)
	}
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// check says which flag is out of range.
func (o options) check() error {
	switch {
	case o.epochs < 1 || o.batch < 1:
		return fmt.Errorf("overfitting: -epochs and -batch must be at least 1, got %d and %d", o.epochs, o.batch)
	case o.hidden < 1:
		return fmt.Errorf("overfitting: -hidden must be at least 1, got %d", o.hidden)
	case o.val < 1 || o.val > 50000:
		return fmt.Errorf("overfitting: -val must be from 1 to 50000, got %d", o.val)
	case o.train < 10 || o.train > 60000-o.val:
		return fmt.Errorf("overfitting: -train must be from 10 to %d (60,000 minus -val %d), got %d", 60000-o.val, o.val, o.train)
	case o.test < 1 || o.test > 10000:
		return fmt.Errorf("overfitting: -test must be from 1 to 10000, got %d", o.test)
	case o.folds == 1 || o.folds < 0 || o.folds > o.train:
		return fmt.Errorf("overfitting: -folds must be 0 or from 2 to -train (%d), got %d", o.train, o.folds)
	}
	for _, n := range o.more {
		if n <= o.train || n > 60000-o.val {
			return fmt.Errorf("overfitting: each of -more must be from -train+1 (%d) to %d (60,000 minus -val), got %d", o.train+1, 60000-o.val, n)
		}
	}
	return nil
}

// parseInts reads a comma-separated list of whole numbers, "5000,50000".
func parseInts(s string) ([]int, error) {
	var v []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("overfitting: -more takes whole numbers separated by commas, e.g. 5000,50000; got %q", s)
		}
		v = append(v, n)
	}
	return v, nil
}

// run is the chapter.
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
	d := split(train, test, o)
	fmt.Fprintf(w, "training images: the first %d; validation images: the last %d of the 60,000; test images: %d\n\n",
		o.train, o.val, o.test)
	if err := showAugmentation(w, d, o); err != nil {
		return err
	}
	results, err := trainCures(context.Background(), w, d, cures(o), o)
	if err != nil {
		return err
	}
	writeTable(w, results)
	if err := savePictures(w, results, o.out); err != nil {
		return err
	}
	if o.folds > 0 {
		_, err = crossValidate(context.Background(), w, d, o)
	}
	return err
}
