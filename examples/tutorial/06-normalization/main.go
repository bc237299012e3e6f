// Command 06-normalization is chapter 6 of the tutorial: why the course
// divides the pixels by 255, and what BatchNormalization does.
//
// It trains the course's network (Flatten → Dense(50, relu) →
// Dense(10, softmax), mean squared error, SGD 0.1, batches of 100) four
// times from the same seed, so that only the inputs differ: on raw pixels
// (0..255), on pixels/255, and each again with BatchNormalization between
// the hidden Dense layer and its relu. It prints what the first layer
// computes on raw and scaled pixels before any training, the runs' loss and
// validation accuracy per epoch, and draws the curves.
//
//	go run ./examples/tutorial/06-normalization              # ~5 s
//	go run ./examples/tutorial/06-normalization -out /tmp    # pictures elsewhere
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/goras-ml/goras/datasets/mnist"
)

// options are the program's flags.
type options struct {
	// out is the directory the pictures are written to.
	out string
	// epochs is the number of passes over the training images per run.
	epochs int
	// train and test are how many of MNIST's first training and test
	// images are used (the test images are the validation data here).
	train, test int
	// seed draws the initial weights and the shuffling, the same for
	// every run.
	seed uint64
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "docs/tutorial/img", "directory the pictures are written to")
	flag.IntVar(&o.epochs, "epochs", 10, "passes over the training images per run")
	flag.IntVar(&o.train, "train", 60000, "number of training images (the first N of 60,000)")
	flag.IntVar(&o.test, "test", 10000, "number of test images, checked after every epoch (the first N of 10,000)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the initial weights and the shuffling, the same for every run")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// run is the chapter: look at the pixels, at what the first layer makes of
// them, then train the four runs and draw them.
func run(w io.Writer, o options) error {
	if o.epochs < 1 || o.train < 100 || o.train > 60000 || o.test < 1 || o.test > 10000 {
		return fmt.Errorf("normalization: want -epochs ≥ 1, 100 ≤ -train ≤ 60000 and 1 ≤ -test ≤ 10000, got %d, %d and %d",
			o.epochs, o.train, o.test)
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

	fmt.Fprintf(w, "%d training images, %d test images\n\n", train.X.N, test.X.N)
	if err := firstLayer(w, train.X, o.seed); err != nil {
		return err
	}
	runs, err := trainAll(w, train, test, o)
	if err != nil {
		return err
	}
	writeTable(w, runs)
	path := filepath.Join(o.out, "06-scaling.png")
	if err := saveRuns(path, runs); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwrote %s\n", path)
	return nil
}
