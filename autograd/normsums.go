package autograd

import "github.com/goras-ml/goras/internal/kernel"

// A batch normalization's backward pass starts with per-channel sums over
// its output gradient, for the whole batch: a pass over memory right after
// the op that wrote that gradient did so, sample by sample. When one
// convolution, or one 2×2 max pooling, alone writes the gradient (the op
// reading the normalization's output, in Conv2D → BatchNormalization →
// ReLU → Conv2D or → MaxPooling2D), that op takes the sums of each sample
// while the sample is in its cache (kernel.BNRuns), and the normalization
// reads only the rows between two samples' runs. The sums, and so every
// gradient, keep their bits.

// normSumsOff turns the pairing off, for the tests that hold it against
// the ops run apart; pooledOff only the pooled gradient below.
var normSumsOff, pooledOff bool

// When the op writing the normalization's output gradient is a 2×2 max
// pooling and the convolution before the normalization computes the
// normalization's input gradient (conv2d_bngrad.go), the convolution can
// make each sample of that output gradient from the pooling's own
// gradient and winners in its cache (kernel.PooledGrad), a quarter of the
// memory: the pooling then writes only the rows the normalization's sums
// still read (kernel.MaxPool2DWinsBackwardRuns).

// runsTaker is an op that can take a normalization's sums while it writes
// the gradient of its input.
type runsTaker interface {
	// takeRuns has the op take r's sums from v's gradient, which it alone
	// writes, and reports whether it can; takeRuns(nil, nil) stops it.
	takeRuns(v *Var, r *kernel.BNRuns) bool
}

// pairNormSums gives each batch normalization's sums to the op that alone
// writes its output gradient, where that op can take them: the
// convolution or pooling reading the normalization's output, setting the
// gradient (overwrite.go), with no op after the normalization that does
// not say what it writes. writes counts the ops that write each gradient
// buffer; opaque is the last op that does not say, -1 for none.
func (p *Plan) pairNormSums(writes map[span]int, opaque int) {
	for _, op := range p.ops {
		if t, ok := op.(runsTaker); ok {
			t.takeRuns(nil, nil)
		}
		if bn, ok := op.(*batchNorm); ok {
			bn.runsOn = false
		}
	}
	if normSumsOff || p.wr.addOnly {
		return
	}
	for i, op := range p.ops {
		bn, ok := op.(*batchNorm)
		if !ok || i <= opaque || bn.y.Grad == nil || writes[spanOf(bn.y.Grad.Data())] != 1 {
			continue
		}
		for _, o := range p.ops[i+1:] {
			t, ok := o.(runsTaker)
			if !ok {
				continue
			}
			if bn.runs == nil {
				bn.runs = bn.k.NewRuns(bn.m / p.batch)
				bn.runs.Set(bn.x.Value.Data(), bn.mean32, bn.scale, bn.shift, bn.relu)
			}
			if t.takeRuns(bn.y, bn.runs) {
				bn.runsOn = true
				pl, ok := t.(*pool2D)
				if cv := bn.gradTo; ok && cv != nil && cv.k.TakesPooledGrad() && !pooledOff {
					// The convolution before bn makes the gradient from
					// the pooling's: the pooling writes only the rows
					// bn's pass reads.
					pl.onlyRuns, cv.pool = true, pl
				}
				break
			}
		}
	}
}

func (o *conv2D) takeRuns(v *Var, r *kernel.BNRuns) bool {
	if r == nil {
		o.k.SetGradRuns(nil)
		o.pool = nil
		return false
	}
	if o.x != v || o.x.Grad == nil || !o.setX {
		return false
	}
	o.k.SetGradRuns(r)
	return true
}

func (o *pool2D) takeRuns(v *Var, r *kernel.BNRuns) bool {
	if r == nil {
		o.runs, o.onlyRuns = nil, false
		return false
	}
	if o.x != v || o.wins == nil || o.x.Grad == nil || !o.setX {
		return false
	}
	o.runs = r
	return true
}
