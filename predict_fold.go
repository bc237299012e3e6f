package goras

import (
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// nodeFold is what an inference plan runs for one call of a Conv2D →
// BatchNormalization (→ ReLU) chain: at the Conv2D, the convolution with
// the normalization folded into its kernel and bias and the ReLU into its
// epilogue (Conv2DLayer.CallBatchNorm), one pass over the output instead
// of three; at the others (conv nil), nothing: their value is the
// convolution's. onnxruntime folds the same chains.
type nodeFold struct {
	conv *layers.Conv2DLayer
	bn   *layers.BatchNormLayer
	relu bool
}

// foldOff turns the folding off, for tests that hold the folded plans
// against the layers run one by one.
var foldOff bool

// inferenceFolds finds the chains an inference plan folds: a Conv2D
// without activation whose output only a BatchNormalization reads, and
// the ReLU (Activation("relu"), or ReLU with Keras's defaults) reading
// the normalization's output when it is its only reader. A value that is
// also a model output, or read twice, breaks the chain there. Training
// plans never fold: Keras trains the normalization on batch statistics.
func (m *Model) inferenceFolds() map[*KerasTensor]nodeFold {
	if foldOff {
		return nil
	}
	readers := m.readers()
	next := make(map[*KerasTensor]*KerasTensor, len(m.nodes)) // the one call reading a value read once
	for _, t := range m.nodes {
		for _, in := range t.inputs {
			if readers[in] == 1 {
				next[in] = t
			}
		}
	}
	var folds map[*KerasTensor]nodeFold
	for _, t := range m.nodes {
		conv, ok := t.layer.(*layers.Conv2DLayer)
		if !ok || conv.Activation() != "linear" {
			continue
		}
		nb := next[t]
		if nb == nil || len(nb.inputs) != 1 {
			continue
		}
		bn, ok := nb.layer.(*layers.BatchNormLayer)
		if !ok {
			continue
		}
		if folds == nil {
			folds = map[*KerasTensor]nodeFold{}
		}
		f := nodeFold{conv: conv, bn: bn}
		folds[nb] = nodeFold{}
		if nr := next[nb]; nr != nil && len(nr.inputs) == 1 && isPlainReLU(nr.layer) {
			f.relu = true
			folds[nr] = nodeFold{}
		}
		folds[t] = f
	}
	return folds
}

// isPlainReLU reports whether l computes max(x, 0) and nothing else.
func isPlainReLU(l layers.Layer) bool {
	switch r := l.(type) {
	case *layers.ActivationLayer:
		return r.Config()["activation"] == "relu"
	case *layers.ReLULayer:
		_, capped := r.MaxValue()
		return !capped && r.NegativeSlope() == 0 && r.Threshold() == 0
	}
	return false
}

// callNode adds the call t to the plan, given its inputs' values, as
// folds says for the calls it holds, else through its layer.
func callNode(p *autograd.Plan, t *KerasTensor, args []*autograd.Var, folds map[*KerasTensor]nodeFold) *autograd.Var {
	if f, ok := folds[t]; ok {
		if f.conv == nil {
			return args[0] // folded into the convolution that made args[0]
		}
		return f.conv.CallBatchNorm(p, args[0], f.bn.Inference(), f.relu)
	}
	if ml, ok := t.layer.(layers.MultiInput); ok {
		return ml.CallMulti(p, args)
	}
	return t.layer.Call(p, args[0])
}
