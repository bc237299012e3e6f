package autograd

import (
	"fmt"
	"reflect"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Op is one step of a plan.
type Op interface {
	// Forward computes the op's outputs from its inputs. training selects the
	// training behaviour of ops such as dropout and batch normalization.
	Forward(training bool)
	// Backward adds the op's contribution to its inputs' gradients, given
	// the gradients of its outputs.
	Backward()
}

// LossOp is an op that reduces a prediction and a target to a scalar loss
// and seeds the gradient of the prediction.
type LossOp interface {
	Op
	// Loss is the value computed by the last Forward.
	Loss() float64
}

// Plan is the compiled form of a model for one batch size.
type Plan struct {
	batch  int
	noGrad bool
	ops    []Op
	grads  []*tensor.Tensor    // zeroed before every backward pass, unless the op writing one first sets it
	wr     writers             // which of grads Backward zeroes (overwrite.go)
	params []*Param            // the trainable parameters ops read (Use), for CheckGradients
	arena  arena               // the op outputs' buffers (buffers.go)
	convs  *kernel.ConvScratch // the block buffers its convolutions share
	share  sharing             // a training plan's buffers, lent by another plan (share.go)
}

// NewPlan starts an empty plan for batches of the given size.
func NewPlan(batch int) *Plan {
	if batch <= 0 {
		panic(fmt.Sprintf("autograd: batch size %d", batch))
	}
	return &Plan{batch: batch}
}

// NewInferencePlan starts a plan that only runs forward (evaluation and
// prediction): it allocates no gradient buffers, so Backward does nothing,
// and its op outputs share buffers as far as the builder's scopes allow
// (Scope, EndScope, Release): a value's buffer is reused once the last op
// reading it has run.
func NewInferencePlan(batch int) *Plan {
	p := NewPlan(batch)
	p.noGrad = true
	return p
}

// Batch is the batch size the plan was built for.
func (p *Plan) Batch() int { return p.batch }

// Input makes a var that the caller fills before each Forward, of shape
// (batch, shape...). It has no gradient.
func (p *Plan) Input(shape ...int) *Var {
	v := &Var{Value: tensor.New(append([]int{p.batch}, shape...)...), input: true}
	p.arena.bytes += 4 * int64(v.Value.Len())
	return v
}

// newVar makes an op output of this package: from the pool in an
// inference plan (every op here overwrites its whole output in Forward),
// zeroed in a training plan. It carries a gradient when any input does, so
// that backward work stops where nothing upstream needs it.
func (p *Plan) newVar(src Op, needGrad bool, shape ...int) *Var {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("autograd: op output of shape %v", shape))
		}
	}
	val, _ := tensor.FromSlice(p.value(tensor.Numel(shape)), shape...) // the length is the shape's
	v := &Var{Value: val, src: src}
	p.gradFor(v, needGrad)
	return v
}

// gradFor gives v a gradient buffer when needGrad and p is a training plan.
func (p *Plan) gradFor(v *Var, needGrad bool) {
	if needGrad && !p.noGrad {
		v.Grad, _ = tensor.FromSlice(p.trainingBuffer(v.Value.Len()), v.Shape()...) // the length is the shape's
		p.grads = append(p.grads, v.Grad)
		p.wr.ready = false
	}
}

// Use registers a parameter's gradient to be zeroed before each backward
// pass (or set whole by the op of this package that writes it first). Ops
// call it for every parameter they read.
func (p *Plan) Use(w *Param) {
	if w.Grad == nil || p.noGrad {
		return
	}
	for _, g := range p.grads {
		if g == w.Grad {
			return
		}
	}
	p.grads = append(p.grads, w.Grad)
	p.params = append(p.params, w)
	p.wr.ready = false
}

func (p *Plan) add(op Op) {
	p.ops = append(p.ops, op)
	p.wr.ready = false
	p.arena.added()
}

// NewVar makes the output of an op written outside this package, of the
// given shape (batch axis included, e.g. append([]int{p.Batch()}, ...)).
// With needGrad, and unless p is an inference plan, it gets a gradient
// buffer that Plan.Backward zeroes before each backward pass; pass
// needGrad = x.Grad != nil || w.Grad != nil over the op's inputs x and
// parameters w, so that backward work stops where nothing upstream learns.
// Both buffers are made here, once: the training step allocates nothing.
func (p *Plan) NewVar(needGrad bool, shape ...int) *Var {
	for _, d := range shape {
		if d <= 0 {
			panic(fmt.Sprintf("autograd: NewVar of shape %v: every size must be positive", shape))
		}
	}
	// Never pooled: an op written elsewhere may count on a zeroed output.
	v := &Var{Value: tensor.New(shape...)}
	p.arena.bytes += 4 * int64(v.Value.Len())
	p.gradFor(v, needGrad)
	return v
}

// AddOp appends an op written outside this package to the plan: Forward
// runs it after every op added before it, Backward before them. Build the
// op's outputs with NewVar and register every parameter it reads with Use
// before adding it. See the package documentation for a complete op.
// Adding nil, an op that is not comparable (make ops pointers, &myOp{...},
// as every op of this package is) or the same op twice (its gradients would
// count twice) panics.
func (p *Plan) AddOp(op Op) {
	if op == nil {
		panic("autograd: AddOp(nil)")
	}
	if !reflect.TypeOf(op).Comparable() {
		panic(fmt.Sprintf("autograd: AddOp: op of type %T is not comparable; add a pointer to it (&op) so that Contains can find it", op))
	}
	if p.Contains(op) {
		panic(fmt.Sprintf("autograd: AddOp: op %T is already in the plan", op))
	}
	p.add(op)
}

// Contains reports whether op is one of the plan's ops, e.g. whether the
// LossOp a loss's Build returned was really added: an op outside the plan
// never runs, and its loss stays 0.
func (p *Plan) Contains(op Op) bool {
	if op == nil || !reflect.TypeOf(op).Comparable() {
		return false // == would panic; AddOp refuses such ops
	}
	for _, o := range p.ops {
		if o == op {
			return true
		}
	}
	return false
}

// Forward runs every op in order.
func (p *Plan) Forward(training bool) {
	for _, op := range p.ops {
		op.Forward(training)
	}
}

// Backward zeroes every gradient, then runs the ops' backward passes in
// reverse order. The last op is normally a loss, which seeds the gradient.
// (A gradient whose first writer in this order is an op of this package
// that can set it is not zeroed: that op sets it instead of adding, with
// the same bits; see overwrite.go.)
func (p *Plan) Backward() {
	if p.noGrad {
		return
	}
	p.zeroGrads()
	for i := len(p.ops) - 1; i >= 0; i-- {
		p.ops[i].Backward()
	}
}

// Ops is the number of ops in the plan.
func (p *Plan) Ops() int { return len(p.ops) }

// rows splits a shape into the product of all axes but the last, and the last.
func rows(shape []int) (m, n int) {
	n = shape[len(shape)-1]
	return tensor.Numel(shape) / max(n, 1), n
}

func mustShape(op string, v *Var, minRank int) []int {
	s := v.Shape()
	if len(s) < minRank {
		panic(fmt.Sprintf("autograd: %s needs rank ≥ %d, got shape %v", op, minRank, s))
	}
	return s
}
