// Package autograd is goras's reverse-mode differentiation, planned ahead.
//
// A model is compiled into a Plan for one batch size: an ordered list of ops
// whose every buffer (values and gradients) is allocated once when the plan
// is built. A training step then runs the ops forward, and their hand-written
// backward passes in reverse, without allocating.
//
// Each op lives in one file with its forward and backward a few lines apart,
// and a Plan method that builds it (p.MatMul, p.ReLU, p.Softmax, ...).
// Backward passes accumulate (+=) into input gradients; Plan.Backward zeroes
// every gradient first. The hot loops are in internal/kernel.
package autograd
