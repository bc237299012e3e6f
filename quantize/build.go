package quantize

import (
	"fmt"
	"math"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

// The float model is read as a chain of blocks, each one stage of the
// quantized model: Conv2D or Dense with the BatchNormalization and ReLU
// after it folded in, MaxPooling2D, Flatten. Layers that are the identity
// at inference (dropout, noise, random augmentation) are skipped.

// identity are the layers that do nothing at inference.
var identity = map[string]bool{
	"Dropout": true, "SpatialDropout2D": true, "GaussianNoise": true, "GaussianDropout": true,
	"RandomRotation": true, "RandomZoom": true, "RandomTranslation": true, "RandomFlip": true,
	"RandomContrast": true,
}

const supported = "Conv2D (linear or relu, any strides and padding), Dense (linear, relu, or softmax last), " +
	"BatchNormalization after either, ReLU and Activation(relu), MaxPooling2D 2×2, Flatten, and the layers " +
	"that do nothing at inference (Dropout, noise, Random* augmentation but RandomCrop)"

// block is one stage of the float model, its layers named.
type block struct {
	names   []string
	conv    *layers.Conv2DLayer
	dense   *layers.DenseLayer
	bn      *layers.BatchNormLayer
	pool    *layers.Pooling2DLayer
	flatten bool
	relu    bool
	softmax bool
}

func (b *block) matmul() bool { return b.conv != nil || b.dense != nil }

// chain lists m's layers in order, after checking that each takes the one
// before it, with pipelines opened up.
func chain(m *goras.Model) ([]layers.Layer, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	if len(m.Inputs()) != 1 || len(m.Outputs()) != 1 {
		return nil, fmt.Errorf("quantize: the model has %d inputs and %d outputs; only a chain of layers from one input to one output can be quantized", len(m.Inputs()), len(m.Outputs()))
	}
	var ls []layers.Layer
	prev := m.Inputs()[0]
	for _, t := range m.Nodes() {
		if len(t.Inputs()) != 1 || t.Inputs()[0] != prev {
			return nil, fmt.Errorf("quantize: layer %q (%s) does not take the output of the layer before it; only a chain of layers can be quantized", t.Layer().Name(), t.Layer().ClassName())
		}
		prev = t
		if p, ok := t.Layer().(*layers.PipelineLayer); ok {
			ls = append(ls, p.Layers()...)
			continue
		}
		ls = append(ls, t.Layer())
	}
	return ls, nil
}

// blocks groups the layers into the quantized model's stages.
func blocks(ls []layers.Layer) ([]*block, error) {
	var bs []*block
	last := func() *block {
		if len(bs) == 0 {
			return nil
		}
		return bs[len(bs)-1]
	}
	refuse := func(l layers.Layer, why string) error {
		return fmt.Errorf("quantize: layer %q (%s) cannot be quantized: %s; supported: %s", l.Name(), l.ClassName(), why, supported)
	}
	for _, l := range ls {
		b := last()
		if b != nil && b.softmax && !identity[l.ClassName()] {
			return nil, refuse(l, "it follows the softmax, which must end the model")
		}
		switch l := l.(type) {
		case *layers.Conv2DLayer:
			nb := &block{names: []string{l.Name()}, conv: l}
			switch l.Activation() {
			case "relu":
				nb.relu = true
			case "linear":
			default:
				return nil, refuse(l, "its activation is "+l.Activation())
			}
			bs = append(bs, nb)
		case *layers.DenseLayer:
			nb := &block{names: []string{l.Name()}, dense: l}
			switch a, _ := l.Config()["activation"].(string); a {
			case "relu":
				nb.relu = true
			case "softmax":
				nb.softmax = true
			case "linear":
			default:
				return nil, refuse(l, "its activation is "+a)
			}
			bs = append(bs, nb)
		case *layers.BatchNormLayer:
			if b == nil || !b.matmul() || b.bn != nil || b.relu || b.softmax {
				return nil, refuse(l, "only a BatchNormalization right after a Conv2D or Dense with no activation can be folded into it")
			}
			b.bn = l
			b.names = append(b.names, l.Name())
		case *layers.ActivationLayer, *layers.ReLULayer:
			if err := activation(b, l); err != nil {
				return nil, refuse(l, err.Error())
			}
		case *layers.Pooling2DLayer:
			if err := checkPool(l); err != nil {
				return nil, refuse(l, err.Error())
			}
			bs = append(bs, &block{names: []string{l.Name()}, pool: l})
		case *layers.FlattenLayer:
			bs = append(bs, &block{names: []string{l.Name()}, flatten: true})
		default:
			if !identity[l.ClassName()] {
				return nil, refuse(l, "no quantized form")
			}
		}
	}
	if b := last(); b == nil || b.dense == nil {
		return nil, fmt.Errorf("quantize: the model must end with a Dense layer (its outputs stay float32); supported layers: %s", supported)
	}
	return bs, nil
}

// activation folds an Activation or ReLU layer into the block before it.
func activation(b *block, l layers.Layer) error {
	name := "relu"
	if a, ok := l.(*layers.ActivationLayer); ok {
		name, _ = a.Config()["activation"].(string)
	}
	if r, ok := l.(*layers.ReLULayer); ok {
		if _, capped := r.MaxValue(); capped || r.NegativeSlope() != 0 || r.Threshold() != 0 {
			return fmt.Errorf("only the plain ReLU (no max_value, negative_slope or threshold)")
		}
	}
	switch {
	case name == "linear":
		return nil
	case name != "relu" && name != "softmax":
		return fmt.Errorf("activation %s has no quantized form", name)
	case b == nil || !b.matmul() || b.relu || b.softmax:
		return fmt.Errorf("an activation must follow a Conv2D or Dense (and its BatchNormalization)")
	case name == "softmax" && b.dense == nil:
		return fmt.Errorf("softmax must follow the last Dense")
	}
	b.relu = name == "relu"
	b.softmax = name == "softmax"
	b.names = append(b.names, l.Name())
	return nil
}

func checkPool(l *layers.Pooling2DLayer) error {
	if l.ClassName() != "MaxPooling2D" {
		return fmt.Errorf("only MaxPooling2D")
	}
	c := l.Config()
	if l.PoolSize() != [2]int{2, 2} || pair(c["strides"]) != [2]int{2, 2} || c["padding"] != "valid" {
		return fmt.Errorf("only 2×2 windows at stride 2 with valid padding, got pool_size %v, strides %v, padding %v", l.PoolSize(), c["strides"], c["padding"])
	}
	return nil
}

// pair reads a config pair such as strides.
func pair(v any) [2]int {
	var p [2]int
	if s, ok := v.([]any); ok && len(s) == 2 {
		for i, e := range s {
			switch e := e.(type) {
			case int:
				p[i] = e
			case float64:
				p[i] = int(e)
			}
		}
	}
	return p
}

// folded returns a block's weights as (K, F) rows in float64 with the
// BatchNormalization folded in: w·s and (b − mean)·s + β, s = γ/√(var + ε).
func folded(b *block, w, bias []float32, f int) (wf, bf []float64) {
	wf, bf = make([]float64, len(w)), make([]float64, f)
	s := make([]float64, f)
	for j := range s {
		s[j] = 1
		if bias != nil {
			bf[j] = float64(bias[j])
		}
	}
	if b.bn != nil {
		bn := b.bn.Inference()
		mean, vr := bn.MovingMean.Value.Data(), bn.MovingVariance.Value.Data()
		for j := range s {
			s[j] = 1 / math.Sqrt(float64(vr[j])+bn.Epsilon)
			if bn.Gamma != nil {
				s[j] *= float64(bn.Gamma.Value.Data()[j])
			}
			bf[j] = (bf[j] - float64(mean[j])) * s[j]
			if bn.Beta != nil {
				bf[j] += float64(bn.Beta.Value.Data()[j])
			}
		}
	}
	for i, v := range w {
		wf[i] = float64(v) * s[i%f]
	}
	return wf, bf
}

// quantizeWeights sets mm's int8 weights, per-channel scales and bias from
// float64 (K, F) weights: each output channel symmetric, its largest
// magnitude at ±127.
func (mm *matmul) quantizeWeights(wf, bf []float64, f int) {
	mm.W, mm.WScale, mm.Bias = make([]int8, len(wf)), make([]float32, f), make([]float32, f)
	for j := 0; j < f; j++ {
		var big float64
		for i := j; i < len(wf); i += f {
			big = math.Max(big, math.Abs(wf[i]))
		}
		mm.WScale[j] = 1
		if big > 0 {
			mm.WScale[j] = float32(big / 127)
		}
		s := float64(mm.WScale[j])
		for i := j; i < len(wf); i += f {
			mm.W[i] = int8(math.Max(-127, math.Min(127, math.Round(wf[i]/s))))
		}
		mm.Bias[j] = float32(bf[j])
	}
}

// paramData returns a layer's kernel and bias (nil without one).
func paramData(l layers.Layer) (w, b []float32) {
	ps := l.Params()
	w = ps[0].Value.Data()
	if len(ps) > 1 {
		b = ps[1].Value.Data()
	}
	return w, b
}

// blockName names a stage after the layers it was made of.
func blockName(b *block) string { return strings.Join(b.names, "+") }
