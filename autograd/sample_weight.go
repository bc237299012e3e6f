package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// Sample weights (Keras's sample_weight and class_weight) weight each
// sample's loss: the weighted loss is Σ wᵢ·lᵢ / N, Keras's
// "sum_over_batch_size" reduction, which divides by the batch size and not
// by the weights' sum. Its gradient needs nothing from the loss op: every
// loss reads sample i's prediction only for lᵢ, so scaling row i of the
// gradient reaching the prediction by wᵢ (ScaleRows) weights any loss, a
// user's own included. Its value needs each lᵢ, which a loss op gives by
// implementing SampleLosser.

// SampleLosser is a LossOp that can also say each sample's loss.
type SampleLosser interface {
	LossOp
	// SampleLosses writes into dst (one value per sample of the batch) each
	// sample's loss as computed by the last Forward: the values whose mean
	// is Loss().
	SampleLosses(dst []float64)
}

// scaleRows passes its input through unchanged and scales row i of the
// gradient coming back by w[i]: y = x, dx[i,:] += w[i]·dy[i,:].
type scaleRows struct {
	x, y *Var
	w    []float32
}

// ScaleRows returns a copy of x, whose first axis is the batch, whose
// gradient reaches x with row i multiplied by w[i]. The plan reads w at
// every Backward, so the caller sets the weights of each batch in w before
// running the plan.
func (p *Plan) ScaleRows(x *Var, w []float32) *Var {
	if len(w) != p.batch || x.Shape()[0] != p.batch {
		panic(fmt.Sprintf("autograd: ScaleRows of %v with %d weights in a plan for batches of %d", x.Shape(), len(w), p.batch))
	}
	op := &scaleRows{x: x, w: w}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *scaleRows) Forward(bool) { copy(o.y.Value.Data(), o.x.Value.Data()) }

func (o *scaleRows) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	n := len(dy) / len(o.w)
	for i, w := range o.w {
		kernel.Axpy(dx[i*n:(i+1)*n], w, dy[i*n:(i+1)*n])
	}
}
