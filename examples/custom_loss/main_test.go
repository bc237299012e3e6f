package main

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

func fromSlice(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestFocalLossMatchesFloat64 checks the loss and its gradient against the
// formulas in float64, on probabilities with one-hot rows, a smoothed row
// and a p of 1 (clipped: it adds almost nothing and gets no gradient).
func TestFocalLossMatchesFloat64(t *testing.T) {
	probs := []float32{0.7, 0.2, 0.1, 0.05, 0.05, 0.9, 0.3, 0.3, 0.4, 1, 0, 0}
	onehot := []float32{1, 0, 0, 0, 1, 0, 0.05, 0.9, 0.05, 1, 0, 0}
	alpha, gamma := 0.25, 2.0
	p := autograd.NewPlan(4)
	pred := p.NewVar(true, 4, 3)
	copy(pred.Value.Data(), probs)
	target := &autograd.Var{Value: fromSlice(t, onehot, 4, 3)}
	loss := FocalLoss{Alpha: alpha, Gamma: gamma}.Build(p, pred, target)
	p.Forward(true)
	p.Backward()
	var want float64
	for i, v := range probs {
		pv, y := min(max(float64(v), 1e-7), 1-1e-7), float64(onehot[i])
		want += -alpha * y * math.Pow(1-pv, gamma) * math.Log(pv) / 4
		grad := alpha * y * (gamma*math.Pow(1-pv, gamma-1)*math.Log(pv) - math.Pow(1-pv, gamma)/pv) / 4
		if v >= 1 {
			grad = 0 // the clip holds p
		}
		if got := float64(pred.Grad.Data()[i]); math.Abs(got-grad) > 1e-6 {
			t.Errorf("dLoss/dp[%d] = %.7f, want %.7f", i, got, grad)
		}
	}
	if math.Abs(loss.Loss()-want) > 1e-9 {
		t.Errorf("loss %.9f, want %.9f", loss.Loss(), want)
	}
}

// TestFocalLossGradientCheck holds the op, behind a softmax as in the
// model, to finite differences with goras's checker.
func TestFocalLossGradientCheck(t *testing.T) {
	logits := fromSlice(t, []float32{1, -0.5, 2, 0.3, 0.2, -1, 0.8, 1.5, -2, 0, 0.4, 0.1}, 3, 4)
	target := &autograd.Var{Value: fromSlice(t, []float32{0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, 3, 4)}
	for _, f := range []FocalLoss{{Alpha: 0.25, Gamma: 2}, {Alpha: 1, Gamma: 0.5}} {
		err := autograd.CheckLossGradients(func(p *autograd.Plan, in []*autograd.Var) autograd.LossOp {
			return f.Build(p, p.Softmax(in[0]), target)
		}, autograd.GradCheck{}, logits)
		if err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
}

// TestFocalWithoutFocusIsCrossEntropy: with α = 1 and γ = 0 the focal loss
// is the cross-entropy, which goras computes by its own code.
func TestFocalWithoutFocusIsCrossEntropy(t *testing.T) {
	p := autograd.NewPlan(2)
	pred := p.Input(3)
	copy(pred.Value.Data(), []float32{0.2, 0.5, 0.3, 0.6, 0.3, 0.1})
	target := &autograd.Var{Value: fromSlice(t, []float32{0, 1, 0, 0, 0, 1}, 2, 3)}
	focal := FocalLoss{Alpha: 1, Gamma: 0}.Build(p, pred, target)
	ce := losses.CategoricalCrossentropy{}.Build(p, pred, target)
	p.Forward(false)
	if math.Abs(focal.Loss()-ce.Loss()) > 1e-6 {
		t.Errorf("focal with γ = 0: %.7f, cross-entropy %.7f", focal.Loss(), ce.Loss())
	}
}

// TestMacroF1 compares the metric, over two batches, with F1 computed by
// hand: true 0 0 1 1 2 2, predicted 0 1 1 1 2 0.
// Class 0: precision 1/2, recall 1/2, F1 1/2; class 1: 2/3, 1, 4/5;
// class 2: 1, 1/2, 2/3. Macro F1 = (1/2 + 4/5 + 2/3) / 3.
func TestMacroF1(t *testing.T) {
	m, err := metrics.Get("macro_f1", []int{3}, []int{})
	if err != nil {
		t.Fatal(err)
	}
	m.Update(fromSlice(t, []float32{0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.3, 0.6, 0.1}, 3, 3), fromSlice(t, []float32{0, 0, 1}, 3))
	m.Update(fromSlice(t, []float32{0.1, 0.5, 0.4, 0.1, 0.2, 0.7, 0.5, 0.2, 0.3}, 3, 3), fromSlice(t, []float32{1, 2, 2}, 3))
	want := (0.5 + 0.8 + 2.0/3) / 3
	if got := m.Result(); math.Abs(got-want) > 1e-12 {
		t.Errorf("macro F1 %.6f, want %.6f", got, want)
	}
	m.Reset()
	if m.Result() != 0 {
		t.Errorf("after Reset: %v, want 0", m.Result())
	}
	if _, err := metrics.Get("macro_f1", []int{3}, []int{4}); err == nil {
		t.Error("targets of 4 values for 3 classes were accepted")
	}
}

// TestSavedModelKeepsLossAndMetric trains a small model with the focal loss
// and macro F1 for one epoch on random data, saves and loads it: the loaded
// model is compiled with the same loss and metric and scores the same.
func TestSavedModelKeepsLossAndMetric(t *testing.T) {
	rng := tensor.NewRNG(3)
	x, y := tensor.New(40, 5), tensor.New(40, 3)
	for i := range x.Data() {
		x.Data()[i] = float32(rng.NormFloat64())
	}
	for i := range 40 {
		y.Data()[i*3+rng.IntN(3)] = 1
	}
	model := goras.NewSequential(layers.Input(5), layers.Dense(3, layers.WithActivation("softmax")))
	model.SetSeed(1)
	loss := FocalLoss{Alpha: 0.5, Gamma: 1.5}
	if err := model.Compile(goras.CompileOptions{Loss: loss, Metrics: []string{"macro_f1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := model.Fit(context.Background(), x, y, goras.BatchSize(10), goras.Epochs(1), goras.Verbose(0)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "focal.safetensors")
	if err := saving.Save(model, path); err != nil {
		t.Fatal(err)
	}
	loaded, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Loss() != loss {
		t.Errorf("loaded loss %#v, want %#v", loaded.Loss(), loss)
	}
	want, err := model.Evaluate(x, y, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Evaluate(x, y, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if got["loss"] != want["loss"] || got["macro_f1"] != want["macro_f1"] || want["loss"] == 0 {
		t.Errorf("loaded model scores %v, the saved one %v", got, want)
	}
}
