package autograd

import (
	"fmt"
	"math"
)

// reluWith is Keras's relu with its three arguments (the ReLU layer):
//
//	y = min(x, maxValue)          for x > threshold
//	y = negativeSlope·(x - threshold)  for x ≤ threshold
//
// Its gradient is 1 for threshold < x < maxValue, negativeSlope for
// x < threshold and 0 elsewhere (at the kinks too, as TensorFlow's relu and
// relu6 give 0 at theirs).
type reluWith struct {
	x, y              *Var
	slope, max, thres float32
}

// ReLUWith is Keras's relu(x, negative_slope, max_value, threshold): pass
// +Inf for no maxValue; threshold and maxValue must be ≥ 0 and the slope
// finite, as Keras's ReLU layer requires (a layer reports a bad value as an
// error before it gets here). ReLUWith(x, 0, +Inf, 0) is ReLU.
func (p *Plan) ReLUWith(x *Var, negativeSlope, maxValue, threshold float64) *Var {
	if math.IsNaN(negativeSlope) || math.IsInf(negativeSlope, 0) || !(maxValue >= 0) || !(threshold >= 0) || math.IsInf(threshold, 0) {
		panic(fmt.Sprintf("autograd: ReLUWith(negativeSlope %v, maxValue %v, threshold %v): want a finite slope, maxValue ≥ 0 and a finite threshold ≥ 0",
			negativeSlope, maxValue, threshold))
	}
	op := &reluWith{x: x, slope: float32(negativeSlope), max: float32(maxValue), thres: float32(threshold)}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *reluWith) Forward(bool) {
	x, y := o.x.Value.Data(), o.y.Value.Data()
	y = y[:len(x)]
	s, mx, t := o.slope, o.max, o.thres
	if s == 0 {
		// Keras leaves the negative part out when the slope is 0, so that
		// -Inf gives 0, not 0·-Inf = NaN.
		for i, v := range x {
			y[i] = 0
			if v > t {
				y[i] = min(v, mx)
			}
		}
		return
	}
	for i, v := range x {
		if v > t {
			y[i] = min(v, mx)
		} else {
			y[i] = s * (v - t)
		}
	}
}

func (o *reluWith) Backward() {
	if o.x.Grad == nil {
		return
	}
	x, dx, dy := o.x.Value.Data(), o.x.Grad.Data(), o.y.Grad.Data()
	dx, dy = dx[:len(x)], dy[:len(x)]
	s, mx, t := o.slope, o.max, o.thres
	for i, v := range x {
		switch {
		case v > t && v < mx:
			dx[i] += dy[i]
		case v < t:
			dx[i] += s * dy[i]
		}
	}
}
