package main

import (
	"fmt"
	"io"
	"math"

	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// valleyLoss is a made-up loss of one weight with two valleys, the race
// surface of the studio's Learn page along y = 0:
//
//	f(w) = (w² − 1)² + 0.5·w
//
// The deeper valley (the global minimum) is near w = −1.06, the shallower
// one (a local minimum) near w = 0.93, with a hill near w = 0.13 between.
func valleyLoss(w float64) float64 {
	a := w*w - 1
	return a*a + 0.5*w
}

// valleySlope is f'(w) = 4w(w² − 1) + 0.5.
func valleySlope(w float64) float64 {
	return 4*w*(w*w-1) + 0.5
}

// valleyBottoms finds the two minima of valleyLoss by Newton's method on
// f'(w) = 0 (in float64, to name which valley a walk ended in).
func valleyBottoms() (global, local float64) {
	newton := func(w float64) float64 {
		for range 50 {
			w -= valleySlope(w) / (12*w*w - 4)
		}
		return w
	}
	return newton(-1), newton(1)
}

// The valley walks: rate, steps and starts.
const (
	valleyRate  = 0.02
	valleySteps = 40
)

var valleyStarts = []float64{2, -2}

// valleyWalk is gradient descent on valleyLoss from one start.
type valleyWalk struct {
	start float64
	w     []float64 // before the first step and after each
}

// twoValleys runs goras's SGD on valleyLoss from each start and prints
// where each walk stops. The optimizer is driven directly, as a training
// loop does: one weight in a tensor, its slope in another, Apply per step.
func twoValleys(w io.Writer) ([]valleyWalk, error) {
	global, local := valleyBottoms()
	fmt.Fprintf(w, "\nA loss with two valleys, f(w) = (w² − 1)² + 0.5·w: global minimum f(%.4f) = %.4f, local minimum f(%.4f) = %.4f\n",
		global, valleyLoss(global), local, valleyLoss(local))
	var walks []valleyWalk
	for _, s := range valleyStarts {
		sgd, err := optimizers.NewSGD(optimizers.LearningRate(valleyRate))
		if err != nil {
			return nil, err
		}
		weight, slope := tensor.Full(float32(s), 1), tensor.New(1)
		vars, grads := []*tensor.Tensor{weight}, []*tensor.Tensor{slope}
		if err := sgd.Build(vars); err != nil {
			return nil, err
		}
		wk := valleyWalk{start: s, w: []float64{s}}
		for range valleySteps {
			slope.Data()[0] = float32(valleySlope(float64(weight.Data()[0])))
			sgd.Apply(vars, grads) // w ← w − lr·f'(w)
			wk.w = append(wk.w, float64(weight.Data()[0]))
		}
		end := wk.w[len(wk.w)-1]
		where := "the global minimum"
		if math.Abs(end-local) < math.Abs(end-global) {
			where = "a local minimum"
		}
		fmt.Fprintf(w, "from w = %5.2f, %d steps at lr %.2f: w = %7.4f, loss %7.4f: %s\n", s, valleySteps, valleyRate, end, valleyLoss(end), where)
		walks = append(walks, wk)
	}
	return walks, nil
}
