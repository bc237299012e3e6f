package activations

import "github.com/goras-ml/goras/autograd"

// Keras's default arguments for the activations that take one.
const (
	// LeakyReLUSlope is leaky_relu's negative_slope, 0.2 (the LeakyReLU
	// layer's default, 0.3, differs in Keras too).
	LeakyReLUSlope = 0.2
	// ELUAlpha is elu's alpha, 1.0.
	ELUAlpha = 1.0
)

func leakyReLU(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.LeakyReLU(x, LeakyReLUSlope)
}

func elu(p *autograd.Plan, x *autograd.Var) *autograd.Var { return p.ELU(x, ELUAlpha) }
