package train_test

import (
	"fmt"

	"github.com/goras-ml/goras/beam/train"
)

// A sweep expands into one job per point of its grid and seed, each named
// by its point; the collecting step groups them by Config.
func ExampleSweep_Jobs() {
	s := train.Sweep{Recipe: "fast", Seeds: train.Seeds{1, 2},
		Grid: map[string][]float64{"dropout": {0.25, 0.4}}, Hyper: map[string]float64{"epochs": 2}}
	jobs, err := s.Jobs("runs/sweep")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, j := range jobs {
		fmt.Printf("%s: %s, seed %d\n", j.ID, j.Config(), j.Seed)
	}
	// Output:
	// fast-dropout0.25-1: fast dropout=0.25 epochs=2, seed 1
	// fast-dropout0.25-2: fast dropout=0.25 epochs=2, seed 2
	// fast-dropout0.4-1: fast dropout=0.4 epochs=2, seed 1
	// fast-dropout0.4-2: fast dropout=0.4 epochs=2, seed 2
}
