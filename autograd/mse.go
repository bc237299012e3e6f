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

func (o *meanSquaredError) gradSlots(dst []gradSlot) []gradSlot { return slot(dst, o.pred.Grad) }

// SampleLosses writes each sample's mean of (y - p)².
func (o *meanSquaredError) SampleLosses(dst []float64) {
	sampleMeans("MeanSquaredError", dst, o.pred, o.target, func(p, y float32) float64 {
		d := float64(p) - float64(y)
		return d * d
	})
}

// samplesOf returns how many values of x each of the len(dst) samples
// holds, and panics (a programmer error) unless x's first axis is that
// batch.
func samplesOf(op string, x *Var, dst []float64) int {
	if s := x.Shape(); len(s) == 0 || s[0] != len(dst) || len(dst) == 0 {
		panic(fmt.Sprintf("autograd: %s.SampleLosses of prediction %v into %d values", op, x.Shape(), len(dst)))
	}
	return x.Value.Len() / len(dst)
}

// sampleMeans sets dst[s] to the mean of f(p, y) over sample s's values:
// Keras's per-sample loss of an element-wise loss, which reduces the last
// axis by its mean and then the other non-batch axes by theirs, the mean
// over the sample. The mean of dst is then the mean over every element.
func sampleMeans(op string, dst []float64, pred, target *Var, f func(p, y float32) float64) {
	k := samplesOf(op, pred, dst)
	pv, tv := pred.Value.Data(), target.Value.Data()
	for s := range dst {
		var sum float64
		for i := s * k; i < (s+1)*k; i++ {
			sum += f(pv[i], tv[i])
		}
		dst[s] = sum / float64(k)
	}
}

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
