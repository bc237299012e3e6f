package mixedprecision

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// TestSetPolicy: a model's own policy reaches its products whatever the
// global policy, before and after, and leaves the global one alone.
func TestSetPolicy(t *testing.T) {
	defer SetGlobalPolicy("float32")
	SetNoticeOutput(nil)
	ws := weights{autograd.NewParam("w", true, 2, 2), autograd.NewParam("b", true, 2)}
	if PolicyOf(ws).Name() != "float32" {
		t.Errorf("a model without a policy of its own under float32 has %s", PolicyOf(ws))
	}
	if _, err := SetPolicy(ws, "mixed_float16"); err == nil || !strings.Contains(err.Error(), "goras does not have") {
		t.Errorf("SetPolicy(mixed_float16) = %v, want an error naming the policies", err)
	}
	if _, err := SetPolicy(weights{}, "float32"); err == nil || !strings.Contains(err.Error(), "build it first") {
		t.Errorf("SetPolicy of a model without weights = %v, want an error asking to build it", err)
	}
	fast := autograd.SetBF16Products(true) // what the CPU allows
	autograd.SetBF16Products(false)
	want := "float32"
	if fast {
		want = "mixed_bfloat16"
	}
	p, err := SetPolicy(ws, "mixed_bfloat16")
	if err != nil || p.Name() != want || PolicyOf(ws).Name() != want || GlobalPolicy().Name() != "float32" {
		t.Errorf("SetPolicy(mixed_bfloat16) = %s, %v; PolicyOf %s, global %s; want %s and the global float32",
			p, err, PolicyOf(ws), GlobalPolicy(), want)
	}
	if err := SetGlobalPolicy("mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	if p, err := SetPolicy(ws, "float32"); err != nil || p.Name() != "float32" || PolicyOf(ws).Name() != "float32" {
		t.Errorf("SetPolicy(float32) under global %s = %s, %v; PolicyOf %s", GlobalPolicy(), p, err, PolicyOf(ws))
	}
	if !fast {
		t.Skip("no fast bfloat16 products here: every policy is float32")
	}
	// Each policy by the global setting and by the weights' own under the
	// other global one: the same float64 references hold.
	var outs [2][]float32
	for i, c := range []struct{ global, own string }{{"mixed_bfloat16", "float32"}, {"float32", "mixed_bfloat16"}} {
		if err := SetGlobalPolicy(c.global); err != nil {
			t.Fatal(err)
		}
		round := func(v float32) float64 { return float64(v) }
		if c.own == "mixed_bfloat16" {
			round = roundBF16
		}
		name := c.own + " of its own under " + c.global
		outs[i] = append(checkDense(t, name, round, c.own), checkConv(t, name, round, c.own)...)
	}
	differ := 0
	for i := range outs[0] {
		if outs[0][i] != outs[1][i] {
			differ++
		}
	}
	if differ < len(outs[0])/2 {
		t.Errorf("only %d of %d outputs differ between the two policies of their own", differ, len(outs[0]))
	}
}

// TestSetPolicyFallback plays a CPU without AVX512_BF16: one line of
// notice, and the model's policy is float32.
func TestSetPolicyFallback(t *testing.T) {
	saved := setWeightProducts
	defer func() { setWeightProducts = saved }()
	setWeightProducts = func(p *autograd.Param, on bool) bool { return p.SetBF16Products(false) }
	var notes bytes.Buffer
	SetNoticeOutput(&notes)
	defer SetNoticeOutput(nil)
	ws := weights{autograd.NewParam("w", true, 2, 2)}
	p, err := SetPolicy(ws, "mixed_bfloat16")
	if err != nil || p.Name() != "float32" || PolicyOf(ws).Name() != "float32" ||
		strings.Count(notes.String(), "\n") != 1 || !strings.Contains(notes.String(), "AVX512_BF16") {
		t.Errorf("fallback: SetPolicy = %s, %v, PolicyOf %s, notice %q; want float32 and one line naming AVX512_BF16",
			p, err, PolicyOf(ws), notes.String())
	}
}

// TestSetPolicyReachesConv1D: Conv1D convolves through a view of its
// kernel (a weight of another shape), which must carry the layer's own
// policy: with mixed_bfloat16 of its own under the global float32 it
// computes what it does under the global mixed_bfloat16, bit for bit, and
// not what it does in float32.
func TestSetPolicyReachesConv1D(t *testing.T) {
	defer SetGlobalPolicy("float32")
	SetNoticeOutput(nil)
	if !autograd.SetBF16Products(true) {
		t.Skip("no fast bfloat16 products here: every policy is float32")
	}
	autograd.SetBF16Products(false)
	run := func(global, own string) []float32 {
		if err := SetGlobalPolicy(global); err != nil {
			t.Fatal(err)
		}
		l := layers.Conv1D(8, 3, layers.WithPadding("same"))
		if _, err := l.Build([]int{12, 16}, rand.New(rand.NewPCG(5, 6))); err != nil {
			t.Fatal(err)
		}
		if own != "" {
			if _, err := SetPolicy(l, own); err != nil {
				t.Fatal(err)
			}
		}
		p := autograd.NewPlan(4)
		x := p.Input(12, 16)
		y := l.Call(p, x)
		randFill(rand.New(rand.NewPCG(7, 8)), x.Value)
		p.Forward(false)
		return slices.Clone(y.Value.Data())
	}
	own, global, f32 := run("float32", "mixed_bfloat16"), run("mixed_bfloat16", ""), run("float32", "")
	if !slices.Equal(own, global) {
		t.Errorf("Conv1D with mixed_bfloat16 of its own differs from Conv1D under the global mixed_bfloat16")
	}
	if slices.Equal(own, f32) {
		t.Errorf("Conv1D with mixed_bfloat16 of its own computes the float32 products")
	}
}

// TestSetPolicyUnbuiltLayer: a layer not built yet (a Dense before Build,
// whose Params are nil weights) is refused by SetPolicy with the error
// asking to build it, as a model without weights is, and PolicyOf gives
// it the global policy; both panicked on the nil weights.
func TestSetPolicyUnbuiltLayer(t *testing.T) {
	defer SetGlobalPolicy("float32")
	SetNoticeOutput(nil)
	for _, l := range []layers.Layer{layers.Dense(3), layers.Conv2D(2, 3), layers.Dense(3, layers.WithUseBias(false))} {
		if _, err := SetPolicy(l, "mixed_bfloat16"); err == nil || !strings.Contains(err.Error(), "build it first") {
			t.Errorf("SetPolicy of an unbuilt %s = %v, want an error asking to build it", l.ClassName(), err)
		}
		for _, g := range []string{"float32", "mixed_bfloat16"} {
			if err := SetGlobalPolicy(g); err != nil {
				t.Fatal(err)
			}
			if p, want := PolicyOf(l), GlobalPolicy(); p != want {
				t.Errorf("PolicyOf an unbuilt %s under %s = %s, want the global %s", l.ClassName(), g, p, want)
			}
		}
	}
}
