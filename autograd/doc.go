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
//
// # Writing an op
//
// An op of your own is a type with Forward and Backward (the Op interface)
// and a function that adds it to a plan. The function checks the shapes,
// makes the output with Plan.NewVar (with a gradient only when an input
// needs one), registers every parameter it reads with Plan.Use, and adds
// the op with Plan.AddOp; all of this happens once, when the plan is built,
// so Forward and Backward must not allocate. Backward adds (+=) to the
// gradient of each input, because an input read by two ops gets the sum of
// both contributions, and skips inputs whose Grad is nil (the model's
// input, a target, an inference plan). For y = x³:
//
//	type cube struct{ x, y *autograd.Var }
//
//	func Cube(p *autograd.Plan, x *autograd.Var) *autograd.Var {
//		op := &cube{x: x}
//		op.y = p.NewVar(x.Grad != nil, x.Shape()...)
//		p.AddOp(op)
//		return op.y
//	}
//
//	func (o *cube) Forward(training bool) {
//		y := o.y.Value.Data()
//		for i, v := range o.x.Value.Data() {
//			y[i] = v * v * v
//		}
//	}
//
//	func (o *cube) Backward() {
//		if o.x.Grad == nil {
//			return
//		}
//		dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
//		for i, v := range o.x.Value.Data() {
//			dx[i] += 3 * v * v * dy[i]
//		}
//	}
//
// A loss is an op that also has Loss() float64 (the LossOp interface): its
// Forward computes the mean over the batch, and its Backward seeds the
// prediction's gradient with dLoss/dpred. It must be added with AddOp too,
// or it never runs (Plan.Contains tells).
//
// Check every op with CheckGradients (CheckLossGradients for a loss) in a
// test: it compares Backward with finite differences of Forward for every
// input element and every parameter, and says which element is wrong.
package autograd
