package autograd

import (
	"fmt"
	"math"
)

// Keras's regression losses, each with the default "sum_over_batch_size"
// reduction. Each is a mean over the last axis, then over the batch, which
// is the mean over every element: that is what Forward computes, and
// Backward adds its gradient, divided by the element count, to pred.Grad.
// Targets have as many values as the prediction (a Dense(1) output (N, 1)
// may have targets (N)).

// checkSameLen panics unless pred and target hold as many values: a
// programmer error, as losses check shapes with users' words first.
func checkSameLen(op string, pred, target *Var) {
	if pred.Value.Len() != target.Value.Len() {
		panic(fmt.Sprintf("autograd: %s of prediction %v and target %v", op, pred.Shape(), target.Shape()))
	}
}

// sign is -1, 0 or 1, the gradient TensorFlow gives |x| (0 at 0).
func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// meanAbsoluteError is mean(|y - p|).
type meanAbsoluteError struct {
	pred, target *Var
	loss         float64
}

// MeanAbsoluteError adds the loss mean(|target - pred|).
func (p *Plan) MeanAbsoluteError(pred, target *Var) LossOp {
	checkSameLen("MeanAbsoluteError", pred, target)
	op := &meanAbsoluteError{pred: pred, target: target}
	p.add(op)
	return op
}

func (o *meanAbsoluteError) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		s += math.Abs(float64(v) - float64(t[i]))
	}
	o.loss = s / float64(len(t))
}

func (o *meanAbsoluteError) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float64(len(t))
	for i, v := range o.pred.Value.Data() {
		g[i] += float32(sign(float64(v)-float64(t[i])) * inv)
	}
}

func (o *meanAbsoluteError) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean of |y - p|.
func (o *meanAbsoluteError) SampleLosses(dst []float64) {
	sampleMeans("MeanAbsoluteError", dst, o.pred, o.target, func(p, y float32) float64 {
		return math.Abs(float64(p) - float64(y))
	})
}

// meanAbsolutePercentageError is 100·mean(|y - p| / max(|y|, ε)).
type meanAbsolutePercentageError struct {
	pred, target *Var
	loss         float64
}

// MeanAbsolutePercentageError adds the loss
// 100·mean(|target - pred| / max(|target|, Epsilon)).
func (p *Plan) MeanAbsolutePercentageError(pred, target *Var) LossOp {
	checkSameLen("MeanAbsolutePercentageError", pred, target)
	op := &meanAbsolutePercentageError{pred: pred, target: target}
	p.add(op)
	return op
}

func (o *meanAbsolutePercentageError) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		y := float64(t[i])
		s += math.Abs(y-float64(v)) / math.Max(math.Abs(y), Epsilon)
	}
	o.loss = 100 * s / float64(len(t))
}

func (o *meanAbsolutePercentageError) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	scale := 100 / float64(len(t))
	for i, v := range o.pred.Value.Data() {
		y := float64(t[i])
		g[i] += float32(scale * sign(float64(v)-y) / math.Max(math.Abs(y), Epsilon))
	}
}

func (o *meanAbsolutePercentageError) Loss() float64 { return o.loss }

// SampleLosses writes each sample's 100·mean(|y - p| / max(|y|, ε)).
func (o *meanAbsolutePercentageError) SampleLosses(dst []float64) {
	sampleMeans("MeanAbsolutePercentageError", dst, o.pred, o.target, func(p, t float32) float64 {
		y := float64(t)
		return 100 * math.Abs(y-float64(p)) / math.Max(math.Abs(y), Epsilon)
	})
}

// huber is mean(h(p - y)) with h(e) = e²/2 for |e| ≤ δ, δ|e| - δ²/2 beyond.
type huber struct {
	pred, target *Var
	delta        float64
	loss         float64
}

// Huber adds Keras's Huber loss with the given delta (Keras's default 1):
// quadratic for errors up to delta, linear beyond.
func (p *Plan) Huber(pred, target *Var, delta float64) LossOp {
	checkSameLen("Huber", pred, target)
	op := &huber{pred: pred, target: target, delta: delta}
	p.add(op)
	return op
}

func (o *huber) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		e := math.Abs(float64(v) - float64(t[i]))
		if e <= o.delta {
			s += 0.5 * e * e
		} else {
			s += o.delta*e - 0.5*o.delta*o.delta
		}
	}
	o.loss = s / float64(len(t))
}

// Backward: dh/dp = e within delta, delta·sign(e) beyond.
func (o *huber) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float64(len(t))
	for i, v := range o.pred.Value.Data() {
		e := float64(v) - float64(t[i])
		if math.Abs(e) > o.delta {
			e = o.delta * sign(e)
		}
		g[i] += float32(e * inv)
	}
}

func (o *huber) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean of h(p - y).
func (o *huber) SampleLosses(dst []float64) {
	sampleMeans("Huber", dst, o.pred, o.target, func(p, y float32) float64 {
		e := math.Abs(float64(p) - float64(y))
		if e <= o.delta {
			return 0.5 * e * e
		}
		return o.delta*e - 0.5*o.delta*o.delta
	})
}

// logCosh is mean(log(cosh(p - y))).
type logCosh struct {
	pred, target *Var
	loss         float64
}

// LogCosh adds the loss mean(log(cosh(pred - target))): like half the
// squared error for small errors, like |error| - log 2 for large ones.
func (p *Plan) LogCosh(pred, target *Var) LossOp {
	checkSameLen("LogCosh", pred, target)
	op := &logCosh{pred: pred, target: target}
	p.add(op)
	return op
}

func (o *logCosh) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		// log(cosh x) = |x| + log(1 + e^(-2|x|)) - log 2, which never
		// overflows (Keras: x + softplus(-2x) - log 2, the same value).
		x := math.Abs(float64(v) - float64(t[i]))
		s += x + math.Log1p(math.Exp(-2*x)) - math.Ln2
	}
	o.loss = s / float64(len(t))
}

// Backward: d log(cosh x)/dx = tanh x.
func (o *logCosh) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float64(len(t))
	for i, v := range o.pred.Value.Data() {
		g[i] += float32(math.Tanh(float64(v)-float64(t[i])) * inv)
	}
}

func (o *logCosh) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean of log(cosh(p - y)), in Forward's
// overflow-free form.
func (o *logCosh) SampleLosses(dst []float64) {
	sampleMeans("LogCosh", dst, o.pred, o.target, func(p, y float32) float64 {
		x := math.Abs(float64(p) - float64(y))
		return x + math.Log1p(math.Exp(-2*x)) - math.Ln2
	})
}
