// Command 02-learning is chapter 2 of the tutorial: why depth helps, and the
// three steps of learning. The problem is XOR: points in four clouds, the
// class 1 where exactly one coordinate is negative. One layer (a single
// sigmoid neuron) draws a straight line and cannot separate them; two
// layers can. Both are trained by goras the same way: a set of functions
// (the network), a loss that judges them (binary cross-entropy), and a way
// to find the best (the Adam optimizer, run by Fit). The program prints what
// each step gives and draws the data, the two answers and their loss curves.
//
//	go run ./examples/tutorial/02-learning [-out docs/tutorial/img] [-epochs 100] [-points 50] [-seed 1]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// options are the program's flags.
type options struct {
	Out    string // the directory the pictures are written to
	Epochs int    // passes over the training points
	Points int    // points per cloud
	Seed   uint64 // fixes the points and the initial weights
}

func main() {
	var o options
	flag.StringVar(&o.Out, "out", "docs/tutorial/img", "the directory the pictures are written to")
	flag.IntVar(&o.Epochs, "epochs", 100, "training epochs (passes over the points)")
	flag.IntVar(&o.Points, "points", 50, "points in each of the four clouds")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of the points and of the initial weights")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// run trains the one-layer and the two-layer network on the XOR points,
// prints what each learned, and draws the pictures into o.Out.
func run(w io.Writer, o options) error {
	if o.Epochs < 1 || o.Points < 1 {
		return fmt.Errorf("02-learning: -epochs %d and -points %d must both be at least 1", o.Epochs, o.Points)
	}
	x, y := xorPoints(o.Points, o.Seed)
	fmt.Fprintf(w, "XOR: %d points in four clouds, class 1 where x1·x2 < 0\n", x.Dim(0))
	var results []result
	for _, net := range []struct {
		name   string
		layers func() []layers.Layer
	}{
		{"one layer", oneLayer},
		{"two layers", twoLayers},
	} {
		fmt.Fprintf(w, "\n== %s ==\n", net.name)
		r, err := learn(w, net.name, net.layers(), x, y, o)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	paths := []string{filepath.Join(o.Out, "02-xor.png"), filepath.Join(o.Out, "02-loss.png")}
	if err := drawAnswers(paths[0], x, y, results); err != nil {
		return err
	}
	if err := drawLosses(paths[1], results); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwrote %s and %s\n", paths[0], paths[1])
	return nil
}

// xorPoints draws n points around each of the corners (±1, ±1), spread by
// a normal noise of standard deviation 0.35, and labels them 1 where the
// corner's coordinates differ in sign (the exclusive or of their signs).
func xorPoints(n int, seed uint64) (x, y *tensor.Tensor) {
	rng := tensor.NewRNG(seed)
	x, y = tensor.New(4*n, 2), tensor.New(4*n, 1)
	corners := [4][2]float64{{-1, -1}, {1, 1}, {-1, 1}, {1, -1}}
	for i := range 4 * n {
		c := corners[i%4] // the clouds take turns, so any prefix is balanced
		x.Set(float32(c[0]+0.35*rng.NormFloat64()), i, 0)
		x.Set(float32(c[1]+0.35*rng.NormFloat64()), i, 1)
		if c[0] != c[1] {
			y.Set(1, i, 0)
		}
	}
	return x, y
}

// Step 1, a set of functions: the networks. Every choice of their weights
// is one function from (x1, x2) to a probability of class 1.

// oneLayer is one sigmoid neuron: p = sigmoid(w1·x1 + w2·x2 + b).
func oneLayer() []layers.Layer {
	return []layers.Layer{
		layers.Input(2),
		layers.Dense(1, layers.WithActivation("sigmoid")),
	}
}

// twoLayers puts a hidden layer of 8 tanh neurons before that neuron.
func twoLayers() []layers.Layer {
	return []layers.Layer{
		layers.Input(2),
		layers.Dense(8, layers.WithActivation("tanh")),
		layers.Dense(1, layers.WithActivation("sigmoid")),
	}
}

// result is what one network learned.
type result struct {
	name    string
	model   *goras.Model
	history *goras.History
	loss    float64 // after training
	acc     float64
}

// learn builds a network from ls, judges its initial weights, trains it
// and judges it again, printing each step.
func learn(w io.Writer, name string, ls []layers.Layer, x, y *tensor.Tensor, o options) (result, error) {
	model := goras.NewSequential(ls...)
	model.SetSeed(o.Seed)
	// Step 2, a loss that judges each function: binary cross-entropy,
	// -log of the probability given to the right class, averaged.
	// Step 3, finding the best: Adam follows the loss's gradient.
	adam, err := optimizers.NewAdam(optimizers.LearningRate(0.05))
	if err != nil {
		return result{}, err
	}
	err = model.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.BinaryCrossentropy{}, Metrics: []string{"accuracy"}})
	if err != nil {
		return result{}, err
	}
	if err := model.Summary(w); err != nil {
		return result{}, err
	}
	before, err := model.Evaluate(x, y, goras.Verbose(0))
	if err != nil {
		return result{}, err
	}
	fmt.Fprintf(w, "random weights:  loss %.4f  accuracy %.3f\n", before["loss"], before["accuracy"])
	history, err := model.Fit(context.Background(), x, y, goras.BatchSize(32), goras.Epochs(o.Epochs), goras.Verbose(0))
	if err != nil {
		return result{}, err
	}
	for e := range history.Epoch {
		if (e+1)%20 == 0 || e == len(history.Epoch)-1 {
			fmt.Fprintf(w, "epoch %4d:     loss %.4f  accuracy %.3f\n", e+1, history.History["loss"][e], history.History["accuracy"][e])
		}
	}
	after, err := model.Evaluate(x, y, goras.Verbose(0))
	if err != nil {
		return result{}, err
	}
	if math.IsNaN(after["loss"]) {
		return result{}, errors.New("02-learning: the loss became NaN; try a smaller learning rate")
	}
	fmt.Fprintf(w, "trained:         loss %.4f  accuracy %.3f\n", after["loss"], after["accuracy"])
	return result{name: name, model: model, history: history, loss: after["loss"], acc: after["accuracy"]}, nil
}
