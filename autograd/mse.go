package autograd

import "fmt"

// meanSquaredError is Keras's MeanSquaredError with the default
// "sum_over_batch_size" reduction: the mean of (y - p)² over the last axis,
// averaged over the batch, which is the mean over every element.
type meanSquaredError struct {
	pred, target *Var
	loss         float64
}

// MeanSquaredError adds the loss mean((target - pred)²). target must have
// pred's shape.
func (p *Plan) MeanSquaredError(pred, target *Var) LossOp {
	checkSameShape("MeanSquaredError", pred, target)
	op := &meanSquaredError{pred: pred, target: target}
	p.add(op)
	return op
}

func (o *meanSquaredError) Forward(bool) {
	pv, tv := o.pred.Value.Data(), o.target.Value.Data()
	var s float64
	for i, v := range pv {
		d := float64(v) - float64(tv[i])
		s += d * d
	}
	o.loss = s / float64(len(pv))
}

func (o *meanSquaredError) Backward() {
	if o.pred.Grad == nil {
		return
	}
	pv, tv, g := o.pred.Value.Data(), o.target.Value.Data(), o.pred.Grad.Data()
	scale := 2 / float32(len(pv))
	for i, v := range pv {
		g[i] += scale * (v - tv[i])
	}
}

func (o *meanSquaredError) Loss() float64 { return o.loss }

func checkSameShape(op string, pred, target *Var) {
	a, b := pred.Shape(), target.Shape()
	if len(a) != len(b) {
		panic(fmt.Sprintf("autograd: %s of prediction %v and target %v", op, a, b))
	}
	for i := range a {
		if a[i] != b[i] {
			panic(fmt.Sprintf("autograd: %s of prediction %v and target %v", op, a, b))
		}
	}
}
