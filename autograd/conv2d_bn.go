package autograd

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/internal/kernel"
)

// BatchNormInference is what a batch normalization computes at inference,
// per channel c: y = γ[c]·(x - MovingMean[c])/√(MovingVariance[c] + ε) + β[c].
// Gamma or Beta may be nil (Keras's scale=False, center=False): 1 and 0.
type BatchNormInference struct {
	Gamma, Beta                *Param
	MovingMean, MovingVariance *Param
	Epsilon                    float64
}

// scaleShift sets, per channel c, s[c] = γ/√(var + ε) and t[c] = β +
// (b[c] - mean)·s[c], in float64 then rounded, so that bn(v + b) = v·s + t;
// b (one per channel) may be nil for none.
func (bn *BatchNormInference) scaleShift(s, t, b []float32) {
	mm, mv := bn.MovingMean.Value.Data(), bn.MovingVariance.Value.Data()
	for c := range s {
		sc := 1 / math.Sqrt(float64(mv[c])+bn.Epsilon)
		if bn.Gamma != nil {
			sc *= float64(bn.Gamma.Value.Data()[c])
		}
		sh := -float64(mm[c])
		if b != nil {
			sh += float64(b[c])
		}
		sh *= sc
		if bn.Beta != nil {
			sh += float64(bn.Beta.Value.Data()[c])
		}
		s[c], t[c] = float32(sc), float32(sh)
	}
}

// check panics unless bn has moving statistics of n channels, γ and β
// too when set, and ε > 0.
func (bn *BatchNormInference) check(op string, n int) {
	if bn.MovingMean == nil || bn.MovingVariance == nil || !(bn.Epsilon > 0) {
		panic(fmt.Sprintf("autograd: %s needs moving statistics and epsilon > 0, got epsilon %v", op, bn.Epsilon))
	}
	for _, w := range []*Param{bn.Gamma, bn.Beta, bn.MovingMean, bn.MovingVariance} {
		if w != nil && (w.Value.Len() != n || w.Value.Rank() != 1) {
			panic(fmt.Sprintf("autograd: %s of %d channels with %s of shape %v", op, n, w.Name, w.Value.Shape()))
		}
	}
}

// conv2DBN is a convolution followed by a batch normalization at inference
// and, optionally, a ReLU, as one convolution: the normalization is an
// affine map per output channel, applied to the convolution's sums in its
// epilogue with the ReLU (kernel's Conv2D.ForwardAffine),
//
//	y[.., f] = relu(conv(x, w)[.., f]·s[f] + b'[f]),
//	s[f] = γ[f]/√(var[f] + ε),  b'[f] = β[f] + (b[f] - mean[f])·s[f],
//
// one pass over the output instead of three, and the kernel read as it
// is. s and b' are made again from the weights on every Forward (a pass
// over F values), so that they can never go stale, whoever changed the
// weights (Fit, SetWeights, LoadWeights, a user's own writes). Training
// plans keep the normalization as Keras trains it, with batch statistics:
// the op is for inference plans only and has no backward.
type conv2DBN struct {
	x, y     *Var
	w, b     *Param
	bn       BatchNormInference
	relu     bool
	k        *kernel.Conv2D
	kb       *kernel.Conv2DBF16 // runs instead of k, the affine map after it: bfloat16 products (w.BF16Products when built)
	s, shift []float32          // s and b' (F)
}

// Conv2DBatchNorm adds to an inference plan Conv2DBiasReLU(x, w, b, relu,
// ...) with bn, a batch normalization at inference, between the
// convolution and the ReLU: y = relu?(bn(conv(x, w) + b)), b nil for no
// bias. It computes that as one convolution whose epilogue applies bn's
// scale and shift and the ReLU, which rounds differently from the three
// passes, within float32 rounding of them. It panics in a training plan, whose batch
// normalization uses batch statistics and learns.
func (p *Plan) Conv2DBatchNorm(x *Var, w, b *Param, bn BatchNormInference, relu bool, strideH, strideW, padTop, padBottom, padLeft, padRight int) *Var {
	if !p.noGrad {
		panic("autograd: Conv2DBatchNorm is for inference plans (NewInferencePlan); a training plan needs Conv2D and BatchNorm apart")
	}
	ws, xs := w.Value.Shape(), x.Shape()
	if len(ws) != 4 || len(xs) != 4 || ws[2] != xs[3] {
		panic(fmt.Sprintf("autograd: Conv2DBatchNorm of %v by kernel %v (want (N,H,W,C) and (KH,KW,C,F))", xs, ws))
	}
	f := ws[3]
	if b != nil && (b.Value.Len() != f || b.Value.Rank() != 1) {
		panic(fmt.Sprintf("autograd: Conv2DBatchNorm with kernel %v and bias %v (want (%d))", ws, b.Value.Shape(), f))
	}
	bn.check("Conv2DBatchNorm", f)
	g := window("Conv2DBatchNorm", xs, ws[0], ws[1], strideH, strideW, padTop, padBottom, padLeft, padRight)
	op := &conv2DBN{
		x: x, w: w, b: b, bn: bn, relu: relu,
		k: kernel.NewConv2D(xs[0], xs[3], f, g),
		s: make([]float32, f), shift: make([]float32, f),
	}
	if w.BF16Products() { // the policy of the Conv2D it stands for
		op.kb = kernel.NewConv2DBF16(op.k) // nil for geometries it has no form for
	}
	if op.kb == nil {
		op.k.ShareScratch(p.convScratch())
	}
	oh, ow := g.Out()
	op.y = p.newVar(op, false, xs[0], oh, ow, f)
	p.add(op)
	return op.y
}

func (o *conv2DBN) Forward(bool) {
	var b []float32
	if o.b != nil {
		b = o.b.Value.Data()
	}
	o.bn.scaleShift(o.s, o.shift, b)
	y := o.y.Value.Data()
	if o.kb != nil { // no bfloat16 epilogue: the sums, then one pass of the affine map
		o.kb.Forward(y, o.x.Value.Data(), o.w.Value.Data(), nil, false)
		rows := len(y) / len(o.s)
		if o.relu {
			kernel.ChannelAffineReLU(y, y, o.s, o.shift, rows, len(o.s))
		} else {
			kernel.ChannelAffine(y, y, o.s, o.shift, rows, len(o.s))
		}
		return
	}
	o.k.ForwardAffine(y, o.x.Value.Data(), o.w.Value.Data(), o.s, o.shift, o.relu)
}

// Backward does nothing: the op only exists in inference plans.
func (o *conv2DBN) Backward() {}
