package goras

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/tensor"
)

// bf16Of is v rounded to bfloat16 (nearest, ties to even), as the
// products of mixed_bfloat16 take their operands.
func bf16Of(v float32) float32 {
	b := math.Float32bits(v)
	b += 0x7fff + (b>>16)&1
	return math.Float32frombits(b &^ 0xffff)
}

// convBNNet is Conv2D (3×3, same, bias; a geometry with a bfloat16 form)
// → BatchNormalization → ReLU, the chain an inference plan folds, with
// moving statistics, γ and β drawn far from their initial values.
func convBNNet(t *testing.T) *Model {
	t.Helper()
	m := NewSequential(layers.Input(6, 6, 16), layers.Conv2D(8, 3, layers.WithPadding("same")),
		layers.BatchNormalization(), layers.ReLU())
	m.SetSeed(4)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(40)
	m.Layers()[0].Params()[1].Value.FillNormal(rng, 0, 0.5)
	bn := m.Layers()[1].(*layers.BatchNormLayer).Inference()
	bn.MovingMean.Value.FillNormal(rng, 0, 0.5)
	bn.MovingVariance.Value.FillUniform(rng, 0.3, 2)
	bn.Gamma.Value.FillUniform(rng, -1.5, 1.5)
	bn.Beta.Value.FillNormal(rng, 0, 0.5)
	return m
}

// convBNRef is convBNNet's forward pass in float64, on its input and
// kernel rounded by round.
func convBNRef(m *Model, x *tensor.Tensor, round func(float32) float32) []float64 {
	ps := m.Layers()[0].Params()
	k := autograd.NewParam("k", false, ps[0].Value.Shape()...)
	for i, v := range ps[0].Value.Data() {
		k.Value.Data()[i] = round(v)
	}
	bn := m.Layers()[1].(*layers.BatchNormLayer).Inference()
	var out []float64
	per := 6 * 6 * 16
	for s := range x.Dim(0) {
		v := make([]float64, per)
		for i := range v {
			v[i] = float64(round(x.Data()[s*per+i]))
		}
		y, _, _, c := conv64(v, 6, 6, 16, []*autograd.Param{k, ps[1]}, 1, 1)
		for i := range y {
			out = append(out, max(bn64(bn, i%c, y[i]), 0))
		}
	}
	return out
}

// TestFoldedConvKeepsThePolicy: Predict folds Conv2D → BatchNormalization
// → ReLU into one convolution, which must compute in the model's policy as
// the Conv2D alone does: under mixed_bfloat16 (its own, or the global
// one) on operands rounded to bfloat16, under float32 on the operands as
// given. The fold computed in float32 whatever the policy.
func TestFoldedConvKeepsThePolicy(t *testing.T) {
	mixedprecision.SetNoticeOutput(nil)
	defer mixedprecision.SetGlobalPolicy("float32")
	if !autograd.SetBF16Products(true) {
		t.Skip("no fast bfloat16 products here: every policy is float32")
	}
	autograd.SetBF16Products(false)
	x := randomTensor(5, 3, 6, 6, 16)
	same := func(v float32) float32 { return v }
	for _, c := range []struct{ global, own string }{
		{"float32", "mixed_bfloat16"}, {"mixed_bfloat16", ""}, {"mixed_bfloat16", "float32"}, {"float32", ""},
	} {
		if err := mixedprecision.SetGlobalPolicy(c.global); err != nil {
			t.Fatal(err)
		}
		m := convBNNet(t)
		if c.own != "" {
			if _, err := mixedprecision.SetPolicy(m, c.own); err != nil {
				t.Fatal(err)
			}
		}
		got, err := m.Predict(x, Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		policy := mixedprecision.PolicyOf(m).Name()
		want, other := convBNRef(m, x, same), convBNRef(m, x, bf16Of)
		if policy == "mixed_bfloat16" {
			want, other = other, want
		}
		name := "global " + c.global + ", own " + c.own + ": folded Predict in " + policy
		closeTo(t, name, got.Data(), want, 2e-6)
		far := 0
		for i, g := range got.Data() {
			if math.Abs(float64(g)-other[i]) > 1e-4 {
				far++
			}
		}
		if far < len(other)/4 {
			t.Errorf("%s: only %d of %d outputs are away from the other precision's", name, far, len(other))
		}
	}
}
