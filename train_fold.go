package goras

import (
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// trainFolds is what a training plan fuses: each BatchNormalization call
// whose output nothing but a plain ReLU reads (isPlainReLU, the rule
// inferenceFolds follows) maps to its layer, whose CallReLU adds the
// normalization and the ReLU as one op; the ReLU's call maps to nil: its
// value is the fused op's. The fused op gives the same bits as the two
// (weights, moving statistics, losses), and saves, every step, the ReLU's
// pass forward, its mask pass backward, and the normalization's output
// and output gradient (a buffer also zeroed every step). Inference plans
// fold further (inferenceFolds) and never use these.
type trainFolds map[*KerasTensor]*layers.BatchNormLayer

// trainFoldOff turns the training folds off, for tests that hold the
// fused training plans against the layers run one by one.
var trainFoldOff bool

// trainingFolds finds the BatchNormalization → ReLU chains a training plan
// (train) fuses; none for other plans. A normalization's output that is
// also a model output, or that another call reads too, is left alone.
func (m *Model) trainingFolds(train bool) trainFolds {
	if !train || trainFoldOff {
		return nil
	}
	readers := m.readers()
	var folds trainFolds
	for _, t := range m.nodes {
		bn, ok := t.layer.(*layers.BatchNormLayer)
		if !ok || readers[t] != 1 {
			continue
		}
		for _, r := range m.nodes {
			if len(r.inputs) == 1 && r.inputs[0] == t && isPlainReLU(r.layer) {
				if folds == nil {
					folds = trainFolds{}
				}
				folds[t], folds[r] = bn, nil
				break
			}
		}
	}
	return folds
}

// call adds the call t to the plan, given its inputs' values: fused as f
// says for the calls it holds, else as callNode does (with the inference
// folds, for a plan that has them).
func (f trainFolds) call(p *autograd.Plan, t *KerasTensor, args []*autograd.Var, folds map[*KerasTensor]nodeFold) *autograd.Var {
	if bn, ok := f[t]; ok {
		if bn == nil {
			return args[0] // the fused op before it made its value
		}
		return bn.CallReLU(p, args[0])
	}
	return callNode(p, t, args, folds)
}

// normInputs has each Conv2D or pooling call whose one input is a
// BatchNormalization's output (through the ReLU fused with it, or without
// one) that nothing else reads, not even as a model output, apply that
// normalization as it reads its input (autograd's ReaderAppliesNorm, which
// takes a padded convolution or a 2×2 max pooling): the normalization's
// output is then never written, and the reader reads the normalization's
// input in its place. A training plan only; vals holds every call's
// value. It returns how many readers do.
func (m *Model) normInputs(p *autograd.Plan, vals map[*KerasTensor]*autograd.Var, fused trainFolds) int {
	if trainFoldOff {
		return 0
	}
	readers := m.readers()
	n := 0
	for _, t := range m.nodes {
		switch t.layer.(type) {
		case *layers.Conv2DLayer, *layers.Pooling2DLayer: // one op each, reading the input
		default:
			continue
		}
		if len(t.inputs) != 1 || readers[t.inputs[0]] != 1 {
			continue
		}
		in := t.inputs[0]
		_, isBN := in.layer.(*layers.BatchNormLayer)
		bn, folded := fused[in]
		if (isBN || (folded && bn == nil)) && p.ReaderAppliesNorm(vals[in]) { // a normalization, or the ReLU fused into one
			n++
		}
	}
	return n
}
