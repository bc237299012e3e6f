// Command 05-optimizers is chapter 5 of the tutorial: the optimizers SGD,
// Momentum, AdaGrad, RMSprop and Adam. It prints their update rules as
// Keras defines them (goras's optimizers follow Keras), then races goras's
// own optimizers on two surfaces of two weights: a long narrow valley, with
// each optimizer at its best learning rate from a grid, and the two-valley
// surface of the studio's Learn page, at the studio's rates. Each optimizer
// is driven as a training loop drives it: Build once, then Apply with the
// surface's gradient at every step. It draws the paths and the losses.
//
//	go run ./examples/tutorial/05-optimizers [-out docs/tutorial/img] [-steps 40] [-well-steps 300]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/goras-ml/goras/optimizers"
)

// options are the program's flags.
type options struct {
	Out       string // the directory the pictures are written to
	Steps     int    // steps of the race in the long valley
	WellSteps int    // steps of the race in the two valleys
}

func main() {
	var o options
	flag.StringVar(&o.Out, "out", "docs/tutorial/img", "the directory the pictures are written to")
	flag.IntVar(&o.Steps, "steps", 40, "steps of the race in the long valley")
	flag.IntVar(&o.WellSteps, "well-steps", 300, "steps of the race in the two valleys")
	flag.Parse()
	if err := run(os.Stdout, o); err != nil {
		log.Fatal(err)
	}
}

// racer is one optimizer of the races: its name, how to make it at a
// learning rate (Keras's defaults otherwise), its update rule as the
// chapter writes it, and its rate on the two-valley surface (the studio's).
type racer struct {
	name      string
	make      func(lr float64) (optimizers.Optimizer, error)
	rule      string
	wellsRate float64
}

var racers = []racer{
	{"SGD", func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewSGD(optimizers.LearningRate(lr))
	}, "w ← w − η·g", 0.01},
	{"Momentum", func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewSGD(optimizers.LearningRate(lr), optimizers.Momentum(0.9))
	}, "v ← 0.9·v − η·g;  w ← w + v", 0.01},
	{"AdaGrad", func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewAdagrad(optimizers.LearningRate(lr))
	}, "a ← a + g²;  w ← w − η·g / √(a + ε)   (a starts at 0.1)", 0.1},
	{"RMSprop", func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewRMSprop(optimizers.LearningRate(lr))
	}, "s ← 0.9·s + 0.1·g²;  w ← w − η·g / √(s + ε)", 0.01},
	{"Adam", func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewAdam(optimizers.LearningRate(lr))
	}, "m ← 0.9·m + 0.1·g;  s ← 0.999·s + 0.001·g²;  w ← w − η·√(1 − 0.999ᵗ)/(1 − 0.9ᵗ) · m / (√s + ε)", 0.02},
}

// grid is the learning rates tried in the long valley.
var grid = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2}

// run prints the rules, runs both races, prints their tables and draws
// their pictures into o.Out.
func run(w io.Writer, o options) error {
	if o.Steps < 1 || o.WellSteps < 1 {
		return fmt.Errorf("05-optimizers: -steps %d and -well-steps %d must both be at least 1", o.Steps, o.WellSteps)
	}
	fmt.Fprintf(w, "The update rules, as Keras defines them, for a weight w with gradient g at learning rate η (ε = 1e-7):\n")
	for _, r := range racers {
		fmt.Fprintf(w, "  %-9s %s\n", r.name, r.rule)
	}
	valley, err := raceValley(w, o.Steps)
	if err != nil {
		return err
	}
	wells, err := raceWells(w, o.WellSteps)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	paths := []string{filepath.Join(o.Out, "05-race-valley.png"), filepath.Join(o.Out, "05-race-wells.png")}
	if err := drawRace(paths[0], longValley, valley, 3); err != nil {
		return err
	}
	if err := drawRace(paths[1], twoValleys, wells, 0); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwrote %s and %s\n", paths[0], paths[1])
	return nil
}
