// Command 04-backprop is chapter 4 of the tutorial: back-propagation. For a
// network of two layers, 2 inputs → 2 sigmoid neurons → 1 output, judged by
// squared error, it computes the gradient of the loss with respect to every
// weight three ways: by hand with the chain rule, from the output back
// (float64); by goras, whose plan runs each op's backward pass in reverse;
// and by finite differences, nudging each weight. All three agree, and
// goras's gradient checker confirms the layers' backward passes. It draws
// the network with its values and gradients.
//
//	go run ./examples/tutorial/04-backprop [-out docs/tutorial/img]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
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

// The chapter's network and its one training sample.
var (
	weights = net{
		W1: [2][2]float64{{0.1, 0.4}, {-0.3, 0.2}},
		B1: [2]float64{0, 0.1},
		W2: [2]float64{0.5, -0.6},
		B2: 0.2,
	}
	example = sample{x: [2]float64{1, 0.5}, t: 1}
)

// run prints the hand computation, the three gradients side by side and the
// gradient check, and draws the network.
func run(w io.Writer, o options) error {
	tr := backprop(weights, example)
	printTrace(w, tr)
	loss, grad, names, err := gorasGradient(weights, []sample{example})
	if err != nil {
		return err
	}
	numeric := numericGradient(weights, []sample{example})
	fmt.Fprintf(w, "\ngoras (Plan.Forward, Plan.Backward) against the chain rule and finite differences:\n")
	fmt.Fprintf(w, "%-18s %12s %12s %12s\n", "weight", "chain rule", "goras", "finite diff")
	for i, v := range tr.grad.values() {
		fmt.Fprintf(w, "%-18s %12.6f %12.6f %12.6f\n", names[i], v, grad[i], numeric[i])
	}
	fmt.Fprintf(w, "%-18s %12.6f %12.6f\n", "loss", tr.loss, loss)
	if err := checkLayers(weights, []sample{example}); err != nil {
		return fmt.Errorf("04-backprop: goras's gradient checker: %w", err)
	}
	fmt.Fprintf(w, "\nautograd.CheckGradients on both layers: every gradient agrees with finite differences\n")
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(o.Out, "04-backprop.png")
	if err := drawNetwork(path, weights, example, tr); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", path)
	return nil
}

// printTrace prints the forward and the backward pass of one sample, each
// line a step of the chain rule with its numbers.
func printTrace(w io.Writer, tr trace) {
	fmt.Fprintf(w, "One sample: x = %v, target t = %v\n\nForward:\n", example.x, example.t)
	fmt.Fprintf(w, "  z1 = x·W1 + b1           = %s\n", vec(tr.z1[:]))
	fmt.Fprintf(w, "  h  = sigmoid(z1)         = %s\n", vec(tr.h[:]))
	fmt.Fprintf(w, "  ŷ  = h·W2 + b2           = %.6f\n", tr.y)
	fmt.Fprintf(w, "  L  = (ŷ − t)²            = %.6f\n", tr.loss)
	fmt.Fprintf(w, "Backward, by the chain rule:\n")
	fmt.Fprintf(w, "  ∂L/∂ŷ  = 2(ŷ − t)         = %.6f\n", tr.dY)
	fmt.Fprintf(w, "  ∂L/∂b2 = ∂L/∂ŷ            = %.6f\n", tr.grad.B2)
	fmt.Fprintf(w, "  ∂L/∂W2 = h · ∂L/∂ŷ        = %s\n", vec(tr.grad.W2[:]))
	fmt.Fprintf(w, "  ∂L/∂h  = W2 · ∂L/∂ŷ       = %s\n", vec(tr.dH[:]))
	fmt.Fprintf(w, "  ∂L/∂z1 = ∂L/∂h · h(1 − h) = %s\n", vec(tr.dZ1[:]))
	fmt.Fprintf(w, "  ∂L/∂b1 = ∂L/∂z1           = %s\n", vec(tr.grad.B1[:]))
	fmt.Fprintf(w, "  ∂L/∂W1 = xᵀ · ∂L/∂z1      = [%s %s]\n", vec(tr.grad.W1[0][:]), vec(tr.grad.W1[1][:]))
}

// vec formats numbers as [a b …] with six decimals.
func vec(v []float64) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.6f", x)
	}
	return s + "]"
}
