package goras

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/internal/nobf16"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/mixedprecision"
)

// A model whose layers compute in mixed_bfloat16 of their own says so in
// its config, with Keras 3's DTypePolicy, and a model read from that config
// computes in it again, whatever the global policy and after SetSeed
// draws its weights again: the same outputs, bit for bit, and not those of
// float32 products.
func TestDTypePolicyInConfig(t *testing.T) {
	mixedprecision.SetNoticeOutput(nil)
	defer mixedprecision.SetGlobalPolicy("float32")
	if !autograd.SetBF16Products(true) {
		t.Skip("no fast bfloat16 products here: every policy is float32")
	}
	autograd.SetBF16Products(false)
	m := NewSequential(layers.Input(24), layers.Dense(32, layers.WithActivation("relu")), layers.Dropout(0.2), layers.Dense(5, layers.WithActivation("softmax")))
	m.SetSeed(3)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if _, err := mixedprecision.SetPolicy(m, "mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	policy := `"dtype":{"class_name":"DTypePolicy","config":{"name":"mixed_bfloat16"},"module":"keras","registered_name":null}`
	if n := strings.Count(js, policy); n != 2 {
		t.Errorf("the config gives %d layers the policy %s, want the two Dense layers:\n%s", n, policy, js)
	}
	x := randomTensor(4, 9, 24)
	want, err := m.Predict(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	read := func(js string) *Model {
		t.Helper()
		r, err := ModelFromJSON(js)
		if err != nil {
			t.Fatal(err)
		}
		r.SetSeed(11) // other weights first: the policy must hold through a rebuild
		if err := r.Build(); err != nil {
			t.Fatal(err)
		}
		if err := r.SetWeights(ws); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := read(js)
	if p := mixedprecision.PolicyOf(r).Name(); p != "mixed_bfloat16" {
		t.Errorf("the model read from its config computes in %s under the global float32", p)
	}
	got, err := r.Predict(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data(), want.Data()) {
		t.Errorf("the model read from its config predicts otherwise than the model written")
	}
	f32, err := read(strings.ReplaceAll(js, `"mixed_bfloat16"`, `"float32"`)).Predict(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(f32.Data(), want.Data()) {
		t.Errorf("float32 products give the mixed_bfloat16 model's outputs bit for bit: the policy changed nothing")
	}
}

// Keras's own configs of a mixed_bfloat16 model are read (the policy as a
// name or as a DTypePolicy), and another policy is refused by name.
func TestDTypePolicyFromKeras(t *testing.T) {
	mixedprecision.SetNoticeOutput(nil)
	fast := autograd.SetBF16Products(true)
	autograd.SetBF16Products(false)
	want := "float32"
	if fast {
		want = "mixed_bfloat16"
	}
	for _, dtype := range []string{`"mixed_bfloat16"`, `{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}, "registered_name": null}`} {
		m, err := ModelFromJSON(`{"class_name": "Sequential", "config": {"name": "s", "layers": [
			{"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "name": "in"}},
			{"class_name": "Dense", "config": {"name": "d", "units": 3, "dtype": ` + dtype + `}}]}}`)
		if err != nil {
			t.Fatalf("dtype %s: %v", dtype, err)
		}
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		if p := mixedprecision.PolicyOf(m).Name(); p != want {
			t.Errorf("dtype %s: the model computes in %s, want %s", dtype, p, want)
		}
	}
	_, err := ModelFromJSON(`{"class_name": "Sequential", "config": {"name": "s", "layers": [
		{"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "in"}},
		{"class_name": "Dense", "config": {"name": "d", "units": 3, "dtype": {"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}}}]}}`)
	if err == nil || !strings.Contains(err.Error(), "mixed_float16") || !strings.Contains(err.Error(), "float32 or mixed_bfloat16") {
		t.Errorf("a mixed_float16 layer: %v, want an error naming it and the policies goras has", err)
	}
}

// A policy given with SetPolicy, to the model or to one layer, holds when
// SetSeed makes the weights again, as a Keras layer keeps its dtype policy
// whatever its weights.
func TestSetPolicyKeptThroughSetSeed(t *testing.T) {
	mixedprecision.SetNoticeOutput(nil)
	defer mixedprecision.SetGlobalPolicy("float32")
	if !autograd.SetBF16Products(true) {
		t.Skip("no fast bfloat16 products here: every policy is float32")
	}
	autograd.SetBF16Products(false)
	first := layers.Dense(8, layers.WithActivation("relu"))
	last := layers.Dense(3, layers.WithActivation("softmax"))
	m := NewSequential(layers.Input(6), first, last)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if _, err := mixedprecision.SetPolicy(m, "mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	if _, err := mixedprecision.SetPolicy(last, "float32"); err != nil {
		t.Fatal(err)
	}
	m.SetSeed(9)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if got := []string{mixedprecision.PolicyOf(first).Name(), mixedprecision.PolicyOf(last).Name()}; got[0] != "mixed_bfloat16" || got[1] != "float32" {
		t.Errorf("after SetSeed the layers compute in %v, want [mixed_bfloat16 float32] as set", got)
	}
}

// Where bfloat16 products are not fast, a model given mixed_bfloat16
// computes in float32 but its config still says mixed_bfloat16, read back
// and written again, so that it computes in it on a CPU that has them. Run
// again with GODEBUG turning AVX512_BF16 and AMX off.
func TestDeclaredPolicyWithoutBF16(t *testing.T) {
	if nobf16.Inside() {
		if nobf16.StillFast() {
			return
		}
		mixedprecision.SetNoticeOutput(nil)
		m := NewSequential(layers.Input(4), layers.Dense(3))
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		if _, err := mixedprecision.SetPolicy(m, "mixed_bfloat16"); err != nil {
			t.Fatal(err)
		}
		js, err := m.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		r, err := ModelFromJSON(js)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Build(); err != nil {
			t.Fatal(err)
		}
		again, err := r.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("computes in %s and %s; declared in the configs: %d, %d\n", mixedprecision.PolicyOf(m).Name(), mixedprecision.PolicyOf(r).Name(),
			strings.Count(js, `"name":"mixed_bfloat16"`), strings.Count(again, `"name":"mixed_bfloat16"`))
		return
	}
	if out := nobf16.Run(t, "TestDeclaredPolicyWithoutBF16"); !strings.Contains(out, "computes in float32 and float32; declared in the configs: 1, 1\n") {
		t.Errorf("mixed_bfloat16 without fast bfloat16 products: %q, want float32 computing and the policy kept in both configs", out)
	}
}
