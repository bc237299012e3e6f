// Command from-pytorch goes with the tutorial's page for readers who know
// PyTorch: each of its functions is the goras side of one PyTorch idiom — a
// network as a graph of layer calls (nn.Module's forward), the training
// loop written out with TrainOnBatch against Fit, a data set of one's own
// (Dataset and DataLoader), optimizers with PyTorch's defaults and a
// learning-rate schedule, saving and loading (state_dict), and a network
// PyTorch exported to ONNX (torch.onnx.export), imported, checked against
// PyTorch's own outputs and trained further. main runs them all on MNIST
// and checks what the page says about them.
//
//	go run ./examples/tutorial/from-pytorch    # ~15 s
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
	// out is where the saved model is written, a directory ("" for a new
	// temporary one, removed at the end).
	out string
	// train is the number of MNIST training images used; test the number
	// of test images the networks are scored on.
	train, test int
	// torch is a LeNet-5 PyTorch exported to ONNX; beside it, its
	// reference inputs (digits.in.f32) and PyTorch's outputs
	// (lenet5.out.f32).
	torch string
	// seed draws the initial weights and the shuffling.
	seed uint64
}

func defaults() options {
	return options{train: 10000, test: 2000, torch: "onnx/testdata/lenet5_opset17.onnx", seed: 1}
}

func main() {
	o := defaults()
	flag.StringVar(&o.out, "out", "", "directory the saved model is written to (default: a temporary one, removed at the end)")
	flag.IntVar(&o.train, "train", o.train, "number of MNIST training images (the first N of 60,000)")
	flag.IntVar(&o.test, "test", o.test, "number of MNIST test images the networks are scored on (the first N of 10,000)")
	flag.StringVar(&o.torch, "torch", o.torch, "a LeNet-5 exported by torch.onnx.export, with digits.in.f32 and lenet5.out.f32 beside it")
	flag.Uint64Var(&o.seed, "seed", o.seed, "seed of the initial weights and the shuffling")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// run shows each idiom and checks it.
func run(w io.Writer, o options) error {
	if o.train < 100 || o.train > 60000 {
		return fmt.Errorf("from-pytorch: -train must be from 100 to 60000, got %d", o.train)
	}
	if o.test < 100 || o.test > 10000 {
		return fmt.Errorf("from-pytorch: -test must be from 100 to 10000, got %d", o.test)
	}
	r, err := compare(w, o)
	if err != nil {
		return err
	}
	if !r.allTrue() {
		return fmt.Errorf("from-pytorch: a check failed (above)")
	}
	return nil
}
