package autograd

import (
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// A sharded plan trains on a batch as a few copies of the model's plan, each
// on a contiguous slice of the rows, run side by side through the kernel
// pool: one dispatch per step, where the products of a small model (an MNIST
// MLP) are too short for Gemm to gain anything from splitting each one.
//
// Shard 0 adds its parameter gradients straight into each Param's Grad; the
// other shards into buffers of their own, which Backward then adds to Grad
// in shard order. Losses divide by the whole batch's size, so shard losses and
// gradients add up to the batch's. The number of shards depends on the batch
// alone, never on the number of workers, and so the result does not either:
// bit for bit the same on one core or many (not the same bits as an unsharded
// plan, whose sums are grouped differently).

// ShardedPlan is what NewShardedPlan returns: a training plan and the
// whole-batch vars it reads and writes.
type ShardedPlan struct {
	Plan *Plan
	// X and Y are the whole batch's input and target, filled by the caller
	// before Forward; the shards read their rows in place.
	X, Y *Var
	// Out is the whole batch's output, gathered from the shards by Forward.
	Out *Var
	// Loss is the batch's loss: the sum of the shards' losses.
	Loss LossOp
}

// ShardBuilder builds the model on p for input x and target y, as for an
// ordinary plan, and returns the output and the loss.
type ShardBuilder func(p *Plan, x, y *Var) (out *Var, loss LossOp)

// NewShardedPlan builds a training plan for batches of batch rows split into
// shards slices, calling build once per slice. It returns ok = false, and the
// caller should build an ordinary plan, when shards < 2, when a slice would
// be empty, when the batch's products are too small to gain from it, or when the model holds an op that cannot run in slices: one
// that keeps state across the batch (batch normalization, dropout's random
// stream), an op this file does not know, or a product large enough for
// Gemm to use the pool itself (pools must not nest).
//
// input and target are the per-sample shapes.
func NewShardedPlan(batch, shards int, input, target []int, build ShardBuilder) (sp *ShardedPlan, ok bool) {
	if shards < 2 || batch < shards {
		return nil, false
	}
	x := &Var{Value: tensor.New(append([]int{batch}, input...)...)}
	y := &Var{Value: tensor.New(append([]int{batch}, target...)...)}
	op := &shardOp{}
	loss := &shardLoss{}
	work := 0
	for s := 0; s < shards; s++ {
		lo, hi := s*batch/shards, (s+1)*batch/shards
		p := NewPlan(hi - lo)
		out, l := build(p, &Var{Value: x.Value.Slice(lo, hi)}, &Var{Value: y.Value.Slice(lo, hi)})
		sl, isSL := l.(batchLoss)
		if !isSL || !shardable(p) {
			return nil, false
		}
		sl.setBatch(batch)
		work += forwardWork(p)
		if s > 0 {
			op.redirect(p)
		}
		op.shards = append(op.shards, shardPlan{plan: p, out: out, lo: lo, hi: hi})
		loss.parts = append(loss.parts, l)
	}
	if work < shardMinWork {
		return nil, false
	}
	outShape := append([]int{batch}, op.shards[0].out.Shape()[1:]...)
	op.out = &Var{Value: tensor.New(outShape...), src: op}
	for i := range op.shards {
		s := &op.shards[i]
		s.dst = op.out.Value.Slice(s.lo, s.hi).Data()
	}
	root := NewPlan(batch)
	root.add(op)
	return &ShardedPlan{Plan: root, X: x, Y: y, Out: op.out, Loss: loss}, true
}

// shardMinWork is the number of multiply-adds in a batch's forward products
// below which a step is too short (a few tens of microseconds) to gain from
// a second core: waking one costs about as much.
const shardMinWork = 1 << 20

// forwardWork counts the multiply-adds of p's forward products.
func forwardWork(p *Plan) int {
	w := 0
	for _, op := range p.ops {
		if o, ok := op.(*matMul); ok {
			w += o.m * o.n * o.k
		}
	}
	return w
}

// batchLoss is a loss that can divide by a whole batch while seeing a slice.
type batchLoss interface {
	LossOp
	setBatch(rows int)
}

// shardable reports whether every op of p may run on a slice of the batch
// concurrently with its twins: it keeps no state beyond its own buffers,
// reads parameters only through fields that redirect knows, and calls no
// Gemm large enough to use the pool.
func shardable(p *Plan) bool {
	for _, op := range p.ops {
		switch o := op.(type) {
		case *matMul:
			if !kernel.GemmSerial(o.m, o.n, o.k) {
				return false
			}
		case *biasAdd, *unary, *pointwise, *softmax, *logSoftmax, *rescale, *meanSquaredError, *crossEntropy:
		default:
			return false
		}
	}
	return true
}

// shardPlan is one slice: rows [lo, hi) of the batch.
type shardPlan struct {
	plan   *Plan
	out    *Var
	lo, hi int
	dst    []float32 // rows [lo, hi) of the whole batch's output
}

// gradSum adds the shards' own gradient buffers of one parameter to its Grad.
type gradSum struct {
	dst  *tensor.Tensor
	srcs []*tensor.Tensor
}

// shardOp runs the shards: Forward(true) runs each shard's forward and
// backward pass in one go (one dispatch per step), Backward sums the
// gradients.
type shardOp struct {
	shards   []shardPlan
	out      *Var
	sums     []gradSum
	training bool
}

// redirect gives a shard other than the first its own gradient buffer for
// every parameter, by pointing its ops at a twin Param that shares the
// value but not the gradient.
func (o *shardOp) redirect(p *Plan) {
	twins := map[*Param]*Param{}
	twin := func(w *Param) *Param {
		if w.Grad == nil {
			return w
		}
		if t, ok := twins[w]; ok {
			return t
		}
		t := &Param{Name: w.Name, Trainable: w.Trainable}
		t.Value = w.Value
		t.Grad = tensor.New(w.Grad.Shape()...)
		twins[w] = t
		for i, g := range p.grads {
			if g == w.Grad {
				p.grads[i] = t.Grad
			}
		}
		found := false
		for i := range o.sums {
			if o.sums[i].dst == w.Grad {
				o.sums[i].srcs = append(o.sums[i].srcs, t.Grad)
				found = true
			}
		}
		if !found {
			o.sums = append(o.sums, gradSum{dst: w.Grad, srcs: []*tensor.Tensor{t.Grad}})
		}
		return t
	}
	for _, op := range p.ops {
		switch op := op.(type) {
		case *matMul:
			op.w = twin(op.w)
		case *biasAdd:
			op.b = twin(op.b)
		}
	}
}

// Run implements kernel.Job: shards [lo, hi).
func (o *shardOp) Run(lo, hi int) {
	for _, s := range o.shards[lo:hi] {
		s.plan.Forward(o.training)
		if o.training {
			s.plan.Backward()
		}
	}
}

func (o *shardOp) Forward(training bool) {
	o.training = training
	kernel.Parallel(len(o.shards), 1, o)
	for _, s := range o.shards {
		copy(s.dst, s.out.Value.Data())
	}
}

func (o *shardOp) Backward() {
	for _, g := range o.sums {
		for _, src := range g.srcs {
			kernel.AddTo(g.dst.Data(), src.Data())
		}
	}
}

// shardLoss is the batch's loss: the shards' losses, each already divided by
// the whole batch, added in shard order.
type shardLoss struct{ parts []LossOp }

func (l *shardLoss) Forward(bool) {}
func (l *shardLoss) Backward()    {}
func (l *shardLoss) Loss() float64 {
	var s float64
	for _, p := range l.parts {
		s += p.Loss()
	}
	return s
}
