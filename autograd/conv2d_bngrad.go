package autograd

import "github.com/goras-ml/goras/internal/kernel"

// A convolution whose output only a batch normalization reads (fused with
// a ReLU or not) gets its output gradient from that normalization: the
// normalization's last backward pass writes dy = a·g + b·(y - mean) + d
// for the whole batch, and the convolution's backward reads it back, one
// sample at a time. Both are passes over memory (for the bounty CNN's
// 128×28×28×32 activations, 12 MiB each way, at memory speed): the
// normalization now leaves dy unwritten, and the convolution computes each
// sample's dy from the normalization's sums where it reads it, in the
// cache (kernel.Conv2D.BackwardBN). The values, and so every gradient,
// keep their bits.

// convBNOff turns the pairing off, for the tests that hold it against the
// two ops run apart.
var convBNOff bool

// pairConvBN pairs each convolution with the batch normalization that
// follows it and alone reads its output, when the normalization is the
// only writer of the output's gradient and sets it (overwrite.go): the
// convolution then computes that gradient itself. writes counts the ops
// that write each gradient buffer. Any other case keeps the ops apart: a
// convolution with its own ReLU, an op between the two, or a gradient
// another op adds to.
func (p *Plan) pairConvBN(writes map[span]int) {
	for i, op := range p.ops {
		if cv, ok := op.(*conv2D); ok {
			cv.bn = nil
		}
		if bn, ok := op.(*batchNorm); ok {
			bn.gradTo = nil
			cv, ok := p.ops[max(0, i-1)].(*conv2D)
			if !ok || i == 0 || convBNOff || p.wr.addOnly || bn.x != cv.y || cv.relu ||
				cv.y.Grad == nil || !bn.setX || writes[spanOf(cv.y.Grad.Data())] != 1 {
				continue
			}
			cv.bn, bn.gradTo = bn, cv
		}
	}
}

// backwardBN is Backward when bn computed its sums and left the
// convolution's output gradient to it.
func (o *conv2D) backwardBN(dx, dw, db []float32) {
	bn := o.bn
	o.bnGrad = kernel.BNGrad{
		DZ: bn.y.Grad.Data(), Y: o.y.Value.Data(),
		A: bn.a, B: bn.b, Mean: bn.mean32, D: bn.d, Scale: bn.scale, Shift: bn.shift, ReLU: bn.relu,
	}
	if o.pool != nil {
		o.pooled = kernel.PooledGrad{DY: o.pool.y.Grad.Data(), Wins: o.pool.wins}
		o.bnGrad.Pool = &o.pooled
	}
	if o.kb != nil {
		o.kb.BackwardBN(dx, dw, db, &o.bnGrad, o.input(), o.w.Value.Data())
	} else {
		o.k.BackwardBN(dx, dw, db, &o.bnGrad, o.input(), o.w.Value.Data())
	}
	o.bnGrad, o.pooled = kernel.BNGrad{}, kernel.PooledGrad{} // drop the references
}
