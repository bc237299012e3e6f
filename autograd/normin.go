package autograd

// An op whose input is a batch normalization's output (fused with its ReLU
// or not) that nothing else reads can apply the normalization itself as
// it reads its input: a convolution as it copies its input onto its
// padded grid (kernel.Conv2D.SetInputAffine), a 2×2 max pooling a pair of
// rows at a time (kernel.MaxPool2DWinsAffine). The normalization then
// computes its statistics and coefficients but never writes its output,
// and the reader reads the normalization's input in its place (the
// convolution in Forward and again in Backward for the weight gradient).
// For each of the bounty CNN's 128×28×28×32 activations that saves
// writing 12 MiB a step and reading it back. The values, and so every
// gradient, keep their bits.

// normInOff turns ReaderAppliesNorm off, for the tests that hold it
// against the two ops run apart.
var normInOff bool

// normReader is an op that can apply the normalization before it.
type normReader interface {
	Op
	// normInput is the value the op would read through the normalization.
	normInput() *Var
	// takeNorm has the op read bn's input through bn from now on, unless
	// it cannot, which it reports.
	takeNorm(bn *batchNorm) bool
}

// ReaderAppliesNorm has the op reading v, the output of a BatchNorm or
// BatchNormReLU of this training plan, apply that normalization to its
// input itself, and the normalization leave v's value unwritten. The
// reader must be a Conv2D with padding or on bfloat16 products, or a
// MaxPool2D of 2×2 windows at stride 2 without padding. The caller
// promises that nothing but that op reads v's value: no other op, and not
// the caller after Forward (v's gradient is still written and read as
// before). It reports whether it did: not for an inference plan (whose
// buffers are reused once read), a value not made by a normalization or
// already taken, nor when no such op reads it, or two do.
func (p *Plan) ReaderAppliesNorm(v *Var) bool {
	bn, ok := v.src.(*batchNorm)
	if !ok || bn.y != v || p.noGrad || normInOff || bn.readBy != nil {
		return false
	}
	var reader normReader
	for _, op := range p.ops {
		if r, ok := op.(normReader); ok && r.normInput() == v {
			if reader != nil {
				return false
			}
			reader = r
		}
	}
	if reader == nil || !reader.takeNorm(bn) {
		return false
	}
	bn.readBy = reader
	return true
}

func (o *conv2D) normInput() *Var { return o.x }

func (o *conv2D) takeNorm(bn *batchNorm) bool {
	switch {
	case o.kb != nil: // converts every input it reads
		o.kb.SetInputAffine(bn.scale, bn.shift, bn.relu)
	case !o.k.ReadsAffine():
		return false
	default:
		o.k.SetInputAffine(bn.scale, bn.shift, bn.relu)
	}
	o.in = bn
	return true
}

// input is what the convolution reads as x: x's value, or, when it
// applies the normalization before it itself, that normalization's input.
func (o *conv2D) input() []float32 {
	if o.in != nil {
		return o.in.x.Value.Data()
	}
	return o.x.Value.Data()
}

func (o *pool2D) normInput() *Var { return o.x }

func (o *pool2D) takeNorm(bn *batchNorm) bool {
	if o.wins == nil {
		return false
	}
	o.in = bn
	return true
}
