package main

import "math"

// net holds one number per weight of the chapter's network, 2 inputs →
// 2 sigmoid neurons → 1 linear output: W1[i][j] from input i to hidden
// neuron j, B1[j], W2[j] from hidden neuron j to the output, B2. The same
// type holds the gradients, one per weight.
type net struct {
	W1 [2][2]float64
	B1 [2]float64
	W2 [2]float64
	B2 float64
}

// sample is one input and its target.
type sample struct {
	x [2]float64
	t float64
}

// trace is everything the hand computation of one sample goes through,
// forward (z1, h, y, loss) and backward (the ∂L/∂· of each).
type trace struct {
	z1, h   [2]float64 // hidden layer: weighted sums, sigmoid outputs
	y, loss float64    // output and (ŷ − t)²
	dY      float64    // ∂L/∂ŷ
	dH, dZ1 [2]float64 // ∂L/∂h, ∂L/∂z1
	grad    net        // ∂L/∂ every weight
}

// sigmoid is 1 / (1 + e⁻ᶻ).
func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// forward computes the network on one sample, in float64.
func forward(n net, s sample) trace {
	var tr trace
	tr.y = n.B2
	for j := range 2 {
		tr.z1[j] = n.B1[j] + s.x[0]*n.W1[0][j] + s.x[1]*n.W1[1][j]
		tr.h[j] = sigmoid(tr.z1[j])
		tr.y += tr.h[j] * n.W2[j]
	}
	tr.loss = (tr.y - s.t) * (tr.y - s.t)
	return tr
}

// backprop computes the gradient of one sample's loss by the chain rule,
// from the output back to the first layer: each ∂L/∂· is the one after it
// times the derivative of the step between them.
func backprop(n net, s sample) trace {
	tr := forward(n, s)
	tr.dY = 2 * (tr.y - s.t) // L = (ŷ − t)²
	tr.grad.B2 = tr.dY       // ŷ = h·W2 + B2
	for j := range 2 {
		tr.grad.W2[j] = tr.h[j] * tr.dY
		tr.dH[j] = n.W2[j] * tr.dY
		tr.dZ1[j] = tr.dH[j] * tr.h[j] * (1 - tr.h[j]) // sigmoid′(z) = h(1 − h)
		tr.grad.B1[j] = tr.dZ1[j]                      // z1 = x·W1 + B1
		for i := range 2 {
			tr.grad.W1[i][j] = s.x[i] * tr.dZ1[j]
		}
	}
	return tr
}

// batchGradient is the gradient of the mean loss over samples, as mean
// squared error averages a batch: the mean of each sample's gradient.
func batchGradient(n net, samples []sample) (loss float64, g net) {
	k := 1 / float64(len(samples))
	for _, s := range samples {
		tr := backprop(n, s)
		loss += k * tr.loss
		g = g.plus(tr.grad, k)
	}
	return loss, g
}

// plus is n + k·o, weight by weight.
func (n net) plus(o net, k float64) net {
	for j := range 2 {
		for i := range 2 {
			n.W1[i][j] += k * o.W1[i][j]
		}
		n.B1[j] += k * o.B1[j]
		n.W2[j] += k * o.W2[j]
	}
	n.B2 += k * o.B2
	return n
}

// values lists the weights in the order goras keeps them: the hidden
// layer's kernel (row by row) and bias, then the output layer's.
func (n net) values() []float64 {
	return []float64{n.W1[0][0], n.W1[0][1], n.W1[1][0], n.W1[1][1], n.B1[0], n.B1[1], n.W2[0], n.W2[1], n.B2}
}

// numericGradient estimates each ∂L/∂w by central differences,
// (L(w + h) − L(w − h)) / 2h: nudge one weight, see how the loss moves.
func numericGradient(n net, samples []sample) []float64 {
	const h = 1e-6
	base := n.values()
	out := make([]float64, len(base))
	for i := range base {
		var up, down net
		up.setValues(base)
		down.setValues(base)
		up.nudge(i, h)
		down.nudge(i, -h)
		lu, _ := batchGradient(up, samples)
		ld, _ := batchGradient(down, samples)
		out[i] = (lu - ld) / (2 * h)
	}
	return out
}

// setValues is the inverse of values.
func (n *net) setValues(v []float64) {
	n.W1 = [2][2]float64{{v[0], v[1]}, {v[2], v[3]}}
	n.B1 = [2]float64{v[4], v[5]}
	n.W2 = [2]float64{v[6], v[7]}
	n.B2 = v[8]
}

// nudge adds d to the i-th weight in the order of values.
func (n *net) nudge(i int, d float64) {
	v := n.values()
	v[i] += d
	n.setValues(v)
}
