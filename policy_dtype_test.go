package goras

import (
	"slices"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/tensor"
)

// denseRef is a chain of Dense layers (relu between them, none after the
// last) in float64, the products of layer i on operands rounded to
// bfloat16 when bf16[i].
func denseRef(ds []*layers.DenseLayer, bf16 []bool, x *tensor.Tensor) []float64 {
	n := x.Dim(0)
	v := to64(x.Data())
	for i, d := range ds {
		ps := d.Params()
		k, b := ps[0].Value, ps[1].Value.Data()
		in, units := k.Dim(0), k.Dim(1)
		round := func(f float64) float64 { return f }
		if bf16[i] {
			round = func(f float64) float64 { return float64(bf16Of(float32(f))) }
		}
		out := make([]float64, n*units)
		for s := range n {
			for u := range units {
				acc := float64(b[u])
				for j := range in {
					acc += round(v[s*in+j]) * round(float64(k.Data()[j*units+u]))
				}
				if i < len(ds)-1 {
					acc = max(acc, 0)
				}
				out[s*units+u] = acc
			}
		}
		v = out
	}
	return v
}

// denses are the Dense layers of m, in order, those of pipelines too.
func denses(ls []layers.Layer) []*layers.DenseLayer {
	var ds []*layers.DenseLayer
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.DenseLayer:
			ds = append(ds, l)
		case *layers.PipelineLayer:
			ds = append(ds, denses(l.Layers())...)
		}
	}
	return ds
}

// checkDensePolicies checks that the Dense layers of m compute in the
// policies want gives them (true: mixed_bfloat16): PolicyOf, and the
// outputs on x against the float64 reference, within 1e-5, where a layer
// in the other precision is off by some 1e-3 to 1e-2 on these sizes.
func checkDensePolicies(t *testing.T, what string, m *Model, x *tensor.Tensor, want ...bool) *tensor.Tensor {
	t.Helper()
	ds := denses(m.Layers())
	for i, d := range ds {
		if got := mixedprecision.PolicyOf(d).Name() == "mixed_bfloat16"; got != want[i] {
			t.Errorf("%s: Dense %d (%s) computes in %s", what, i, d.Name(), mixedprecision.PolicyOf(d))
		}
	}
	y, err := m.Predict(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, what, y.Data(), denseRef(ds, want, x), 1e-5)
	return y
}

// skipWithoutBF16 skips where mixed_bfloat16 falls back to float32.
func skipWithoutBF16(t *testing.T) {
	t.Helper()
	mixedprecision.SetNoticeOutput(nil)
	if !autograd.SetBF16Products(true) {
		t.Skip("no fast bfloat16 products here: every policy is float32")
	}
	autograd.SetBF16Products(false)
}

// readBack is the model ToJSON writes of m, read back and given m's
// weights.
func readBack(t *testing.T, m *Model) *Model {
	t.Helper()
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	r, err := ModelFromJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Build(); err != nil {
		t.Fatal(err)
	}
	if err := r.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDTypeFloat32LayerOfMixedModel: Keras's advice for mixed precision,
// the last layer in float32, survives the config: a model whose first
// Dense computes in mixed_bfloat16 and last in float32 is read back with
// the same policies, and the same outputs bit for bit, in a process whose
// global policy is mixed_bfloat16. The float32 layer was written without
// "dtype", and read in the global policy.
func TestDTypeFloat32LayerOfMixedModel(t *testing.T) {
	skipWithoutBF16(t)
	defer mixedprecision.SetGlobalPolicy("float32")
	x := randomTensor(6, 7, 24)
	for _, global := range []string{"mixed_bfloat16", "float32"} {
		if err := mixedprecision.SetGlobalPolicy(global); err != nil {
			t.Fatal(err)
		}
		m := NewSequential(layers.Input(24), layers.Dense(32, layers.WithActivation("relu")), layers.Dense(5))
		m.SetSeed(3)
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		if _, err := mixedprecision.SetPolicy(m.Layers()[0], "mixed_bfloat16"); err != nil {
			t.Fatal(err)
		}
		if _, err := mixedprecision.SetPolicy(m.Layers()[1], "float32"); err != nil {
			t.Fatal(err)
		}
		want := checkDensePolicies(t, "written under "+global, m, x, true, false)
		if err := mixedprecision.SetGlobalPolicy("mixed_bfloat16"); err != nil {
			t.Fatal(err)
		}
		got := checkDensePolicies(t, "written under "+global+", read under mixed_bfloat16", readBack(t, m), x, true, false)
		if !slices.Equal(got.Data(), want.Data()) {
			t.Errorf("written under %s: the model read back predicts otherwise", global)
		}
	}
}

// TestDTypeFloat32FromKeras: Keras writes every layer's policy; a layer
// its config says is float32 computes in float32 whatever the global
// policy, as in Keras, beside one it says is mixed_bfloat16. The float32
// was read as no policy, so the global mixed_bfloat16 took the layer.
func TestDTypeFloat32FromKeras(t *testing.T) {
	skipWithoutBF16(t)
	defer mixedprecision.SetGlobalPolicy("float32")
	for _, global := range []string{"mixed_bfloat16", "float32"} {
		if err := mixedprecision.SetGlobalPolicy(global); err != nil {
			t.Fatal(err)
		}
		m, err := ModelFromJSON(`{"class_name": "Sequential", "config": {"name": "s", "layers": [
			{"class_name": "InputLayer", "config": {"batch_shape": [null, 24], "dtype": "float32", "name": "in"}},
			{"class_name": "Dense", "config": {"name": "d", "units": 32, "activation": "relu",
				"dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}, "registered_name": null}}},
			{"class_name": "Dense", "config": {"name": "out", "units": 5,
				"dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}}}]}}`)
		if err != nil {
			t.Fatal(err)
		}
		m.SetSeed(5)
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		checkDensePolicies(t, "Keras's config under the global "+global, m, randomTensor(8, 7, 24), true, false)
	}
}

// TestDTypeUnnamedLayers: a Sequential config whose layers have no names
// (goras names them when it builds) gives each layer its own entry's
// policy and "trainable": false. Both went by name, and every unnamed
// layer's landed on the last unnamed one.
func TestDTypeUnnamedLayers(t *testing.T) {
	skipWithoutBF16(t)
	m, err := ModelFromJSON(`{"class_name": "Sequential", "config": {"name": "s", "layers": [
		{"class_name": "InputLayer", "config": {"batch_shape": [null, 24]}},
		{"class_name": "Dense", "config": {"units": 32, "activation": "relu", "dtype": "mixed_bfloat16"}},
		{"class_name": "Dense", "config": {"units": 16, "activation": "relu", "trainable": false}},
		{"class_name": "Dense", "config": {"units": 5}}]}}`)
	if err != nil {
		t.Fatal(err)
	}
	m.SetSeed(7)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	checkDensePolicies(t, "unnamed layers", m, randomTensor(9, 7, 24), true, false, false)
	for i, l := range m.Layers() {
		if m.frozen[l] != (i == 1) {
			t.Errorf("layer %d (%s) frozen: %v, want %v", i, l.Name(), m.frozen[l], i == 1)
		}
	}
}

// TestDTypePipelineLayers: the layers of a Pipeline keep their own
// policies through the config, one in mixed_bfloat16 and the next in
// float32 (Keras writes them in the layers' configs), and a Pipeline
// whose config gives a policy gives it to its layers that give none.
// The Pipeline's own "dtype", written only when all its weights agreed,
// was all there was.
func TestDTypePipelineLayers(t *testing.T) {
	skipWithoutBF16(t)
	x := randomTensor(10, 7, 16)
	first := layers.Dense(16, layers.WithActivation("relu"))
	m := NewSequential(layers.Input(16), layers.Pipeline([]layers.Layer{first, layers.Dense(8, layers.WithActivation("relu"))}), layers.Dense(3))
	m.SetSeed(1)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if _, err := mixedprecision.SetPolicy(first, "mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	want := checkDensePolicies(t, "the pipeline written", m, x, true, false, false)
	got := checkDensePolicies(t, "the pipeline read back", readBack(t, m), x, true, false, false)
	if !slices.Equal(got.Data(), want.Data()) {
		t.Errorf("the model read back predicts otherwise")
	}
	r, err := ModelFromJSON(`{"class_name": "Sequential", "config": {"name": "s", "layers": [
		{"class_name": "InputLayer", "config": {"batch_shape": [null, 16], "name": "in"}},
		{"class_name": "Pipeline", "config": {"name": "p", "dtype": "mixed_bfloat16", "layers": [
			{"class_name": "Dense", "config": {"name": "a", "units": 16, "activation": "relu"}},
			{"class_name": "Dense", "config": {"name": "b", "units": 8, "activation": "relu", "dtype": "float32"}}]}},
		{"class_name": "Dense", "config": {"name": "out", "units": 3}}]}}`)
	if err != nil {
		t.Fatal(err)
	}
	r.SetSeed(2)
	if err := r.Build(); err != nil {
		t.Fatal(err)
	}
	checkDensePolicies(t, "a pipeline's policy", r, x, true, false, false)
}
