// Command 03-gradient-descent is chapter 3 of the tutorial: gradient descent
// on one weight. A model with a single weight, ŷ = w·x (a goras Dense layer
// of one unit without bias), is fitted to 20 points by mean squared error.
// The program draws the loss as w alone changes, then lets goras's SGD walk
// down it at three learning rates — too small, about right, too large — one
// step per TrainOnBatch on all the points. Last, on a made-up loss with two
// valleys, it shows gradient descent stopping in a local minimum.
//
//	go run ./examples/tutorial/03-gradient-descent [-out docs/tutorial/img] [-steps 10]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// options are the program's flags.
type options struct {
	Out   string // the directory the pictures are written to
	Steps int    // gradient descent steps per learning rate
}

func main() {
	var o options
	flag.StringVar(&o.Out, "out", "docs/tutorial/img", "the directory the pictures are written to")
	flag.IntVar(&o.Steps, "steps", 10, "gradient descent steps at each learning rate")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// The three learning rates of the chapter, and where every walk starts.
var rates = []struct {
	lr    float64
	label string
}{{0.05, "too small"}, {0.3, "about right"}, {0.8, "too large"}}

const start = -1.0

// lossFn judges the model: mean squared error, mean((ŷ − y)²).
var lossFn = losses.MeanSquaredError{}

// run walks down the one-weight loss at each rate, then down the two-valley
// loss from both sides, printing each walk and drawing the pictures.
func run(w io.Writer, o options) error {
	if o.Steps < 1 {
		return fmt.Errorf("03-gradient-descent: -steps %d: want at least 1 step", o.Steps)
	}
	x, y := points()
	a, best := curvature(x, y)
	fmt.Fprintf(w, "Fitting ŷ = w·x to %d points by mean squared error.\n", x.Dim(0))
	fmt.Fprintf(w, "The best weight is w* = %.4f. The loss is a parabola, L(w) = a·(w − w*)² + c with a = %.4f:\n", best, a)
	fmt.Fprintf(w, "its slope is L'(w) = 2a·(w − w*), a rate of 1/(2a) = %.4f lands on w* in one step, and rates above 1/a = %.4f diverge.\n\n", 1/(2*a), 1/a)
	walks := make([]walk, len(rates))
	for i, r := range rates {
		var err error
		if walks[i], err = descend(x, y, r.lr, o.Steps); err != nil {
			return err
		}
	}
	printWalks(w, walks)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	paths := []string{filepath.Join(o.Out, "03-rates.png"), filepath.Join(o.Out, "03-local-minimum.png")}
	if err := drawRates(paths[0], x, y, best, walks); err != nil {
		return err
	}
	valleys, err := twoValleys(w)
	if err != nil {
		return err
	}
	if err := drawValleys(paths[1], valleys); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwrote %s and %s\n", paths[0], paths[1])
	return nil
}

// points are the 20 training points: x from -1.9 to 1.9 in steps of 0.2,
// and y = 2x plus noise, so that the best w is near 2.
func points() (x, y *tensor.Tensor) {
	rng := tensor.NewRNG(3)
	x, y = tensor.New(20, 1), tensor.New(20, 1)
	for i := range 20 {
		xi := -1.9 + 0.2*float64(i)
		x.Set(float32(xi), i, 0)
		y.Set(float32(2*xi+0.5*rng.NormFloat64()), i, 0)
	}
	return x, y
}

// curvature returns a = mean(x²) and the best weight w* = mean(x·y)/mean(x²):
// the loss is L(w) = a·(w - w*)² + constant, a parabola whose slope is
// L'(w) = 2a·(w - w*).
func curvature(x, y *tensor.Tensor) (a, best float64) {
	var xy float64
	for i, v := range x.Data() {
		a += float64(v) * float64(v)
		xy += float64(v) * float64(y.Data()[i])
	}
	return a / float64(x.Len()), xy / a
}

// oneWeight is the model ŷ = w·x: one Dense unit, no bias, whose weight is
// set to w.
func oneWeight(w float64) (*goras.Model, error) {
	model := goras.NewSequential(layers.Input(1), layers.Dense(1, layers.WithUseBias(false)))
	if err := model.Build(); err != nil {
		return nil, err
	}
	return model, setWeight(model, w)
}

// setWeight writes w into the model's only weight.
func setWeight(model *goras.Model, w float64) error {
	return model.SetWeights([]*tensor.Tensor{tensor.Full(float32(w), 1, 1)})
}

// weight reads the model's only weight.
func weight(model *goras.Model) (float64, error) {
	ws, err := model.GetWeights()
	if err != nil {
		return 0, err
	}
	return float64(ws[0].Data()[0]), nil
}

// walk is one run of gradient descent: the weight and the loss before the
// first step and after each.
type walk struct {
	lr      float64
	w, loss []float64
}

// descend runs steps steps of gradient descent from start at rate lr: SGD,
// and one TrainOnBatch on all 20 points per step, so that every step uses
// the exact slope of the loss, w ← w − lr·L'(w).
func descend(x, y *tensor.Tensor, lr float64, steps int) (walk, error) {
	model, err := oneWeight(start)
	if err != nil {
		return walk{}, err
	}
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(lr))
	if err != nil {
		return walk{}, err
	}
	if err := model.Compile(goras.CompileOptions{Optimizer: sgd, Loss: lossFn}); err != nil {
		return walk{}, err
	}
	wk := walk{lr: lr}
	for step := 0; ; step++ {
		wt, err := weight(model)
		if err != nil {
			return walk{}, err
		}
		loss, err := model.Evaluate(x, y, goras.Verbose(0))
		if err != nil {
			return walk{}, err
		}
		wk.w, wk.loss = append(wk.w, wt), append(wk.loss, loss["loss"])
		if step == steps {
			return wk, nil
		}
		if _, err := model.TrainOnBatch(x, y); err != nil {
			return walk{}, err
		}
	}
}

// printWalks prints the walks side by side, one row per step.
func printWalks(w io.Writer, walks []walk) {
	head := fmt.Sprintf("%4s", "step")
	for i, wk := range walks {
		head += fmt.Sprintf("  %-22s", fmt.Sprintf("lr %.2f (%s)", wk.lr, rates[i].label))
	}
	fmt.Fprintf(w, "%s\n%4s", strings.TrimRight(head, " "), "")
	for range walks {
		fmt.Fprintf(w, "  %9s %12s", "w", "loss")
	}
	fmt.Fprintln(w)
	for s := range walks[0].w {
		fmt.Fprintf(w, "%4d", s)
		for _, wk := range walks {
			fmt.Fprintf(w, "  %9.4f %12.4f", wk.w[s], wk.loss[s])
		}
		fmt.Fprintln(w)
	}
}
