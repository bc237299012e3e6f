package main

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// built makes a PSwish layer for per-sample shape in, with β set to betas.
func built(t *testing.T, in []int, betas ...float32) *PSwishLayer {
	t.Helper()
	l := PSwish(1)
	l.SetName("pswish")
	if _, err := l.Build(in, nil); err != nil {
		t.Fatal(err)
	}
	copy(l.beta.Value.Data(), betas)
	return l
}

// weightedSum is the loss Σ wᵢ·yᵢ, whose gradient is dLoss/dy = w: a test
// op to seed PSwish's backward pass with known values.
type weightedSum struct {
	y    *autograd.Var
	w    []float32
	loss float64
}

func (o *weightedSum) Forward(bool) {
	o.loss = 0
	for i, v := range o.y.Value.Data() {
		o.loss += float64(o.w[i]) * float64(v)
	}
}

func (o *weightedSum) Backward() {
	for i, w := range o.w {
		o.y.Grad.Data()[i] += w
	}
}

func (o *weightedSum) Loss() float64 { return o.loss }

// TestPSwishMatchesFloat64 checks the forward values and every gradient
// against the formulas in float64: y = x·σ(βx), dy/dx = s + βx·s(1-s),
// dy/dβ = x²·s(1-s), with s = σ(βx) and dLoss/dy = w.
func TestPSwishMatchesFloat64(t *testing.T) {
	l := built(t, []int{2}, 0.5, 2)
	p := autograd.NewPlan(3)
	x := p.NewVar(true, 3, 2)
	xs := []float32{-2, 0.3, 1.5, -0.7, 0, 4}
	ws := []float32{1, -0.5, 2, 0.25, -1, 0.75}
	copy(x.Value.Data(), xs)
	y := l.Call(p, x)
	p.AddOp(&weightedSum{y: y, w: ws})
	p.Forward(true)
	p.Backward()
	betas := []float64{0.5, 2}
	dBeta := make([]float64, 2)
	for i, v32 := range xs {
		v, b, w := float64(v32), betas[i%2], float64(ws[i])
		s := 1 / (1 + math.Exp(-b*v))
		ds := s * (1 - s)
		if got, want := float64(y.Value.Data()[i]), v*s; math.Abs(got-want) > 1e-6 {
			t.Errorf("y[%d] = %.7f, want %.7f", i, got, want)
		}
		if got, want := float64(x.Grad.Data()[i]), w*(s+b*v*ds); math.Abs(got-want) > 1e-6 {
			t.Errorf("dx[%d] = %.7f, want %.7f", i, got, want)
		}
		dBeta[i%2] += w * v * v * ds
	}
	for j, want := range dBeta {
		if got := float64(l.beta.Grad.Data()[j]); math.Abs(got-want) > 1e-5 {
			t.Errorf("dβ[%d] = %.7f, want %.7f", j, got, want)
		}
	}
	if allocs := testing.AllocsPerRun(5, func() { p.Forward(true); p.Backward() }); allocs != 0 {
		t.Errorf("a training step through PSwish allocates %v times, want 0", allocs)
	}
}

// TestPSwishGradientCheck holds the op's backward pass to finite
// differences of its forward pass with goras's gradient checker, for the
// input and for β, on images (2, 3, 3, 4) with β away from 1.
func TestPSwishGradientCheck(t *testing.T) {
	l := built(t, []int{3, 3, 4}, 0.3, 1, 1.7, -0.8)
	x := tensor.New(2, 3, 3, 4)
	rng := tensor.NewRNG(5)
	for i := range x.Data() {
		x.Data()[i] = float32(2 * rng.NormFloat64())
	}
	err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
		return l.Call(p, in[0])
	}, autograd.GradCheck{}, x)
	if err != nil {
		t.Error(err)
	}
}

// TestPSwishConfigRoundTrip: the config goes through JSON and FromConfig,
// as a model file's architecture does, and comes back the same.
func TestPSwishConfigRoundTrip(t *testing.T) {
	l := PSwish(1.25)
	l.SetName("act")
	b, err := json.Marshal(l.Config())
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := json.Unmarshal(b, &config); err != nil {
		t.Fatal(err)
	}
	back, err := layers.FromConfig("PSwish", config)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Config(), l.Config()) {
		t.Errorf("config %v came back as %v", l.Config(), back.Config())
	}
	if _, err := layers.FromConfig("PSwish", map[string]any{"initial_beta": "one"}); err == nil {
		t.Error("a string beta was accepted")
	}
}

// TestPSwishSavesAndLoads trains a tiny model with PSwish for one epoch on
// random data, saves it, loads it with saving.Load and expects the same
// learned β and the same predictions, bit for bit.
func TestPSwishSavesAndLoads(t *testing.T) {
	rng := tensor.NewRNG(2)
	x, y := tensor.New(32, 6, 6, 1), tensor.New(32, 3)
	for i := range x.Data() {
		x.Data()[i] = float32(rng.Float64())
	}
	for i := 0; i < 32; i++ {
		y.Data()[i*3+rng.IntN(3)] = 1
	}
	model := goras.NewSequential(layers.Input(6, 6, 1), layers.Conv2D(2, 3), PSwish(1), layers.Flatten(), layers.Dense(3, layers.WithActivation("softmax")))
	model.SetSeed(1)
	if err := model.Compile(goras.CompileOptions{Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := model.Fit(context.Background(), x, y, goras.BatchSize(8), goras.Epochs(1), goras.Verbose(0)); err != nil {
		t.Fatal(err)
	}
	trained := pswishOf(t, model).Beta()
	if trained[0] == 1 && trained[1] == 1 {
		t.Fatal("β did not learn")
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := saving.Save(model, path); err != nil {
		t.Fatal(err)
	}
	loaded, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := pswishOf(t, loaded).Beta(); !reflect.DeepEqual(got, trained) {
		t.Fatalf("loaded β %v, want the trained %v", got, trained)
	}
	want, err := model.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Data(), want.Data()) {
		t.Errorf("the loaded model predicts differently: %v, want %v", got.Data()[:6], want.Data()[:6])
	}
}

// pswishOf finds the model's one PSwish layer.
func pswishOf(t *testing.T, m *goras.Model) *PSwishLayer {
	t.Helper()
	for _, l := range m.Layers() {
		if p, ok := l.(*PSwishLayer); ok {
			return p
		}
	}
	t.Fatalf("no PSwish layer in the model")
	return nil
}
