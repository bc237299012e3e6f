// Command 01-neuron is chapter 1 of the tutorial: what one neuron computes.
// It computes one neuron by hand, z = w·x + b and then an activation
// function, and the same neuron as a goras Dense layer with the same weights,
// and prints both; then a layer of three neurons with softmax; then it draws
// the activation functions relu, sigmoid, tanh and softmax, computed by goras.
//
//	go run ./examples/tutorial/01-neuron [-out docs/tutorial/img]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// options are the program's flags.
type options struct {
	Out string // the directory the pictures are written to
}

func main() {
	var o options
	flag.StringVar(&o.Out, "out", "docs/tutorial/img", "the directory the pictures are written to")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// The neuron of the chapter: three inputs, their weights and the bias.
var (
	weights = []float64{0.8, 0.2, -0.5}
	bias    = 0.1
	inputs  = [][]float64{{0.5, -1, 2}, {1, 2, 0.5}}
)

// run prints the neuron by hand and by goras, the softmax layer, and writes
// the picture of the activation functions into o.Out.
func run(w io.Writer, o options) error {
	fmt.Fprintf(w, "One neuron: weights w = %v, bias b = %v\n\n", weights, bias)
	fmt.Fprintf(w, "%-10s %-14s %8s %10s %10s\n", "activation", "input x", "z", "by hand", "goras")
	for _, act := range []string{"linear", "relu", "sigmoid", "tanh"} {
		hand := byHand(act, weights, bias, inputs)
		got, err := denseNeuron(act, weights, bias, inputs)
		if err != nil {
			return err
		}
		for i, x := range inputs {
			fmt.Fprintf(w, "%-10s %-14s %8.4f %10.6f %10.6f\n", act, fmt.Sprint(x), weightedSum(weights, bias, x), hand[i], got[i])
		}
	}
	if err := softmaxLayer(w); err != nil {
		return err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(o.Out, "01-activations.png")
	if err := drawActivations(path); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwrote %s\n", path)
	return nil
}

// weightedSum is z = w·x + b = w₁x₁ + w₂x₂ + … + b, in float64.
func weightedSum(w []float64, b float64, x []float64) float64 {
	z := b
	for i := range w {
		z += w[i] * x[i]
	}
	return z
}

// activation applies the activation function called name to z, in float64:
// the formulas the chapter writes down.
func activation(name string, z float64) float64 {
	switch name {
	case "relu":
		return math.Max(0, z)
	case "sigmoid":
		return 1 / (1 + math.Exp(-z))
	case "tanh":
		return math.Tanh(z)
	}
	return z // linear
}

// byHand is the neuron's output for every input: activation(w·x + b).
func byHand(act string, w []float64, b float64, xs [][]float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = activation(act, weightedSum(w, b, x))
	}
	return out
}

// denseNeuron is the same neuron in goras: a Dense layer of one unit whose
// kernel (one weight per input) and bias are set to w and b, asked to
// predict every input at once.
func denseNeuron(act string, w []float64, b float64, xs [][]float64) ([]float64, error) {
	model := goras.NewSequential(
		layers.Input(len(w)),
		layers.Dense(1, layers.WithActivation(act)),
	)
	if err := model.Build(); err != nil {
		return nil, err
	}
	kernel := tensor.New(len(w), 1) // one row per input, one column per neuron
	for i, v := range w {
		kernel.Set(float32(v), i, 0)
	}
	if err := model.SetWeights([]*tensor.Tensor{kernel, tensor.Full(float32(b), 1)}); err != nil {
		return nil, err
	}
	y, err := model.PredictOnBatch(matrix(xs))
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(xs))
	for i := range out {
		out[i] = float64(y.At(i, 0))
	}
	return out, nil
}

// matrix puts rows of numbers into a float32 tensor (rows, columns): a
// batch, one sample per row.
func matrix(rows [][]float64) *tensor.Tensor {
	t := tensor.New(len(rows), len(rows[0]))
	for i, r := range rows {
		for j, v := range r {
			t.Set(float32(v), i, j)
		}
	}
	return t
}
