package main

import (
	"fmt"
	"io"
	"math"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// The layer of three neurons: kernel[i][j] is the weight from input i to
// neuron j, one column per neuron, as Keras stores a Dense kernel.
var (
	layerKernel = [][]float64{
		{0.8, -0.3, 0.1},
		{0.2, 0.4, -0.6},
		{-0.5, 0.9, 0.3},
	}
	layerBias = []float64{0.1, 0, -0.2}
)

// softmaxLayer prints the scores z of a layer of three neurons for the first
// input and their softmax, by hand and by a goras Dense(3, softmax) layer.
func softmaxLayer(w io.Writer) error {
	x := inputs[0]
	z := layerScores(layerKernel, layerBias, x)
	hand := softmax(z)
	got, err := denseLayer("softmax", layerKernel, layerBias, x)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nA layer of three neurons with softmax, input x = %v\n", x)
	fmt.Fprintf(w, "%-8s %8s %10s %10s\n", "neuron", "z", "by hand", "goras")
	var sumHand, sumGot float64
	for j := range z {
		fmt.Fprintf(w, "%-8d %8.4f %10.6f %10.6f\n", j, z[j], hand[j], got[j])
		sumHand += hand[j]
		sumGot += got[j]
	}
	fmt.Fprintf(w, "%-8s %8s %10.6f %10.6f\n", "sum", "", sumHand, sumGot)
	return nil
}

// layerScores is z_j = Σ_i x_i·kernel[i][j] + b_j for every neuron j.
func layerScores(kernel [][]float64, b, x []float64) []float64 {
	z := make([]float64, len(b))
	for j := range z {
		z[j] = b[j]
		for i := range x {
			z[j] += x[i] * kernel[i][j]
		}
	}
	return z
}

// softmax is e^z_j / Σ_k e^z_k. The largest z is subtracted first, which
// changes nothing in the result but keeps e^z from overflowing.
func softmax(z []float64) []float64 {
	top := z[0]
	for _, v := range z {
		top = math.Max(top, v)
	}
	out := make([]float64, len(z))
	var sum float64
	for j, v := range z {
		out[j] = math.Exp(v - top)
		sum += out[j]
	}
	for j := range out {
		out[j] /= sum
	}
	return out
}

// denseLayer is a goras Dense layer with len(b) neurons, the given kernel,
// bias and activation, applied to one input x.
func denseLayer(act string, kernel [][]float64, b, x []float64) ([]float64, error) {
	model := goras.NewSequential(
		layers.Input(len(x)),
		layers.Dense(len(b), layers.WithActivation(act)),
	)
	if err := model.Build(); err != nil {
		return nil, err
	}
	if err := model.SetWeights([]*tensor.Tensor{matrix(kernel), vector(b)}); err != nil {
		return nil, err
	}
	y, err := model.PredictOnBatch(matrix([][]float64{x}))
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(b))
	for j := range out {
		out[j] = float64(y.At(0, j))
	}
	return out, nil
}

// vector puts numbers into a float32 tensor of one axis, as a bias is kept.
func vector(v []float64) *tensor.Tensor {
	t := tensor.New(len(v))
	for i, x := range v {
		t.Data()[i] = float32(x)
	}
	return t
}
