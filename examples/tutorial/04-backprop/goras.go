package main

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// newLayers builds the network's two goras Dense layers, named "hidden" and
// "output", and writes the weights of n into them.
func newLayers(n net) (hidden, output *layers.DenseLayer, err error) {
	hidden = layers.Dense(2, layers.WithActivation("sigmoid"), layers.WithName("hidden"))
	output = layers.Dense(1, layers.WithName("output"))
	rng := tensor.NewRNG(1) // Build draws initial weights; ours replace them
	if _, err := hidden.Build([]int{2}, rng); err != nil {
		return nil, nil, err
	}
	if _, err := output.Build([]int{2}, rng); err != nil {
		return nil, nil, err
	}
	v := n.values()
	for _, p := range append(hidden.Params(), output.Params()...) {
		for k := range p.Value.Data() {
			p.Value.Data()[k], v = float32(v[0]), v[1:]
		}
	}
	return hidden, output, nil
}

// gorasGradient lets goras compute the mean loss over samples and its
// gradient: the layers' ops go into a plan, Forward runs them, Backward
// runs their backward passes in reverse, and each weight's gradient is
// left in its Param's Grad. It returns the gradients in the order of
// net.values, and the names goras gives the weights.
func gorasGradient(n net, samples []sample) (loss float64, grad []float64, names []string, err error) {
	hidden, output, err := newLayers(n)
	if err != nil {
		return 0, nil, nil, err
	}
	p := autograd.NewPlan(len(samples)) // a plan for batches of this size
	x, target := p.Input(2), p.Input(1)
	y := output.Call(p, hidden.Call(p, x))
	mse := losses.MeanSquaredError{}.Build(p, y, target)
	for i, s := range samples {
		x.Value.Set(float32(s.x[0]), i, 0)
		x.Value.Set(float32(s.x[1]), i, 1)
		target.Value.Set(float32(s.t), i, 0)
	}
	p.Forward(true) // training: the pass whose gradient training uses
	p.Backward()
	for _, w := range append(hidden.Params(), output.Params()...) {
		for k, g := range w.Grad.Data() {
			grad = append(grad, float64(g))
			names = append(names, w.Name+index(w.Value.Shape(), k))
		}
	}
	return mse.Loss(), grad, names, nil
}

// index writes the k-th element of a tensor of the given shape as "[i]" or
// "[i,j]".
func index(shape []int, k int) string {
	if len(shape) == 2 {
		return fmt.Sprintf("[%d,%d]", k/shape[1], k%shape[1])
	}
	return fmt.Sprintf("[%d]", k)
}

// checkLayers runs goras's gradient checker on the two layers: it compares
// every gradient of their backward passes (the input's and each weight's)
// with finite differences of their forward passes, at the given inputs.
func checkLayers(n net, samples []sample) error {
	hidden, output, err := newLayers(n)
	if err != nil {
		return err
	}
	x := tensor.New(len(samples), 2)
	for i, s := range samples {
		x.Set(float32(s.x[0]), i, 0)
		x.Set(float32(s.x[1]), i, 1)
	}
	return autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
		return output.Call(p, hidden.Call(p, in[0]))
	}, autograd.GradCheck{}, x)
}
