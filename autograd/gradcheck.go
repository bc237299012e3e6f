package autograd

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/tensor"
)

// The gradient checker: every backward pass of this package, and any op a
// user writes, is held to central finite differences of its forward pass,
// here and only here.

// GradCheck sets how CheckGradients and CheckLossGradients compare; the zero
// value means the defaults, which every op of this package passes.
type GradCheck struct {
	// Step is the finite-difference step h: each element x is set to x+h and
	// x-h in turn. Default 1e-2: large enough that float32 rounding of the
	// forward pass stays well below the differences, small enough for the
	// curvature of usual ops.
	Step float64
	// Abs and Rel are the tolerance: an element passes when
	// |analytic - numeric| ≤ Abs + Rel·|numeric|. Defaults 2e-3 and 2e-2.
	Abs, Rel float64
	// Inference runs the forward passes with training = false. Default
	// false: the training behaviour, whose backward pass training uses.
	Inference bool
	// Seed fixes the random weights r with which CheckGradients reduces an
	// output y to the scalar Σ y·r. Default 0, a fixed stream like any other.
	Seed uint64
}

func (o GradCheck) withDefaults() GradCheck {
	if o.Step == 0 {
		o.Step = 1e-2
	}
	if o.Abs == 0 {
		o.Abs = 2e-3
	}
	if o.Rel == 0 {
		o.Rel = 2e-2
	}
	return o
}

// CheckGradients checks the backward passes of the ops that build adds to a
// plan against central differences of their forward passes. It gives build
// one var per tensor of inputs (a copy, with a gradient), in order; build
// adds its ops and returns their output y, which the checker reduces to the
// scalar Σ y·r with fixed random r, so that dLoss/dy = r exercises every
// output. It then compares, for every element of every input and of every
// trainable parameter the plan's ops registered with Plan.Use, the gradient
// the backward passes computed with (L(x+h) - L(x-h)) / 2h, the loss summed
// in float64 (a parameter an op reads without Plan.Use is neither checked
// nor zeroed between steps: register them all). The plan's batch size is
// the first axis of inputs[0].
//
// Values the ops read but that should not be checked (a target, a mask)
// can be closed over by build as &Var{Value: t}, without a gradient.
//
// It returns nil when every element is within tolerance, else an error
// naming how many were not and the worst of them: the input or parameter,
// the element's index, the analytic and the numeric gradient.
func CheckGradients(build func(p *Plan, in []*Var) *Var, opt GradCheck, inputs ...*tensor.Tensor) error {
	p, in, err := checkPlan(inputs)
	if err != nil {
		return err
	}
	y := build(p, in)
	if y == nil {
		return errors.New("autograd: CheckGradients: build returned a nil output")
	}
	if y.Grad == nil {
		return errors.New("autograd: CheckGradients: build's output has no gradient buffer, so no gradient reaches the inputs; make it with p.NewVar(x.Grad != nil, ...)")
	}
	if p.Ops() == 0 && !isOneOf(y, in) {
		return errors.New("autograd: CheckGradients: build added no op to the plan, so nothing computes its output; add each op with p.AddOp(op)")
	}
	loss := p.probe(y, tensor.NewRNG(opt.Seed))
	return checkPlanGradients(p, loss, in, opt)
}

// CheckLossGradients is CheckGradients for a loss: build returns the LossOp
// it added, whose Loss is the scalar differentiated.
func CheckLossGradients(build func(p *Plan, in []*Var) LossOp, opt GradCheck, inputs ...*tensor.Tensor) error {
	p, in, err := checkPlan(inputs)
	if err != nil {
		return err
	}
	loss := build(p, in)
	if loss == nil {
		return errors.New("autograd: CheckLossGradients: build returned a nil loss")
	}
	if !p.Contains(loss) {
		return fmt.Errorf("autograd: CheckLossGradients: build returned a loss op (%T) that is not in the plan, so it never runs; add it with p.AddOp(op)", loss)
	}
	return checkPlanGradients(p, loss, in, opt)
}

// checkPlan makes the plan and the differentiable inputs of a check.
func checkPlan(inputs []*tensor.Tensor) (*Plan, []*Var, error) {
	batch := 1
	if len(inputs) > 0 && inputs[0] != nil && inputs[0].Rank() > 0 {
		batch = inputs[0].Dim(0)
	}
	if batch <= 0 {
		return nil, nil, fmt.Errorf("autograd: gradient check: inputs[0] has shape %v; give it at least one row", inputs[0].Shape())
	}
	p := NewPlan(batch)
	in := make([]*Var, len(inputs))
	for i, t := range inputs {
		if t == nil || t.Len() == 0 {
			return nil, nil, fmt.Errorf("autograd: gradient check: input %d is empty; give every input at least one element", i)
		}
		in[i] = p.NewVar(true, t.Shape()...)
		copy(in[i].Value.Data(), t.Data())
	}
	return p, in, nil
}

// checkPlanGradients checks the inputs and the plan's trainable parameters.
func checkPlanGradients(p *Plan, loss LossOp, in []*Var, opt GradCheck) error {
	var targets []gradTarget
	for i, v := range in {
		targets = append(targets, gradTarget{fmt.Sprintf("input %d", i), v})
	}
	for _, w := range p.params {
		targets = append(targets, gradTarget{fmt.Sprintf("parameter %q", w.Name), &w.Var})
	}
	training := !opt.Inference
	eval := func() float64 {
		p.Forward(training)
		return loss.Loss()
	}
	return checkVars(eval, p.Backward, targets, opt)
}

// gradTarget is a value whose gradient is checked, with its name for errors.
type gradTarget struct {
	name string
	v    *Var
}

// mismatch is the worst element found so far.
type mismatch struct {
	target            string
	index             []int
	analytic, numeric float64
	excess, tol       float64
}

// checkVars runs eval (a forward pass returning the loss) and backward once,
// then compares every target's gradient with the central difference of eval
// over its elements. Every gradient check goes through it, the tests' too.
func checkVars(eval func() float64, backward func(), targets []gradTarget, opt GradCheck) error {
	opt = opt.withDefaults()
	eval()
	backward()
	var worst mismatch
	total, bad, nonzero := 0, 0, false
	for _, tg := range targets {
		if tg.v.Grad == nil {
			return fmt.Errorf("autograd: gradient check: %s has no gradient buffer, so nothing can be compared; give it one or leave it out", tg.name)
		}
		analytic := tg.v.Grad.Clone().Data()
		x := tg.v.Value.Data()
		for i := range x {
			numeric := centralDifference(eval, x, i, opt.Step)
			a := float64(analytic[i])
			nonzero = nonzero || a != 0 || numeric != 0
			diff, tol := math.Abs(a-numeric), opt.Abs+opt.Rel*math.Abs(numeric)
			total++
			if diff <= tol { // false for NaN, which fails
				continue
			}
			bad++
			if excess := diff / tol; bad == 1 || excess > worst.excess || math.IsNaN(excess) {
				worst = mismatch{tg.name, unravel(i, tg.v.Shape()), a, numeric, excess, tol}
			}
		}
	}
	switch {
	case bad > 0:
		return fmt.Errorf("autograd: gradient check: %d of %d gradient elements differ from the finite differences; worst: %s element %v: analytic %.6g, numeric %.6g (tolerance %.2g)",
			bad, total, worst.target, worst.index, worst.analytic, worst.numeric, worst.tol)
	case total > 0 && !nonzero:
		return fmt.Errorf("autograd: gradient check: all %d gradient elements are 0, analytic and numeric, which proves nothing; does build add its ops (p.AddOp), and do the inputs reach the output?", total)
	}
	return nil
}

// centralDifference is (L(x+h) - L(x-h)) / (x₊ - x₋) for element i of x,
// where x₊ and x₋ are the float32 values actually set, and restores x[i].
func centralDifference(eval func() float64, x []float32, i int, h float64) float64 {
	orig := x[i]
	up, down := float32(float64(orig)+h), float32(float64(orig)-h)
	x[i] = up
	lu := eval()
	x[i] = down
	ld := eval()
	x[i] = orig
	return (lu - ld) / (float64(up) - float64(down))
}

// unravel turns a flat index into one index per axis of shape.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for a := len(shape) - 1; a >= 0; a-- {
		idx[a] = i % shape[a]
		i /= shape[a]
	}
	return idx
}

func isOneOf(v *Var, vs []*Var) bool {
	for _, w := range vs {
		if v == w {
			return true
		}
	}
	return false
}

// probe is the loss Σ y·r with fixed random r, which turns any op's output
// into a scalar whose gradient with respect to y is r.
type probe struct {
	y    *Var
	r    []float32
	loss float64
}

func (p *Plan) probe(y *Var, rng *rand.Rand) LossOp {
	op := &probe{y: y, r: make([]float32, y.Value.Len())}
	for i := range op.r {
		op.r[i] = float32(rng.NormFloat64())
	}
	p.add(op)
	return op
}

func (o *probe) Forward(bool) {
	var s float64
	for i, v := range o.y.Value.Data() {
		s += float64(v) * float64(o.r[i])
	}
	o.loss = s
}

func (o *probe) Backward() {
	if o.y.Grad == nil {
		return
	}
	g := o.y.Grad.Data()
	for i, r := range o.r {
		g[i] += r
	}
}

func (o *probe) Loss() float64 { return o.loss }
