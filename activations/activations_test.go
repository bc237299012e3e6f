package activations

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
)

func TestGetAppliesTheNamedFunction(t *testing.T) {
	x := []float32{-2, -0.5, 0, 1.5}
	for name, f := range map[string]func(float64) float64{
		"relu":    func(v float64) float64 { return math.Max(v, 0) },
		"sigmoid": func(v float64) float64 { return 1 / (1 + math.Exp(-v)) },
		"tanh":    math.Tanh,
		"linear":  func(v float64) float64 { return v },
		"":        func(v float64) float64 { return v },
		"RELU":    func(v float64) float64 { return math.Max(v, 0) },
	} {
		a, err := Get(name)
		if err != nil {
			t.Fatalf("Get(%q): %v", name, err)
		}
		p := autograd.NewPlan(1)
		in := p.Input(len(x))
		copy(in.Value.Data(), x)
		out := a.Apply(p, in)
		p.Forward(false)
		for i, v := range x {
			if got := out.Value.Data()[i]; math.Abs(float64(got)-f(float64(v))) > 1e-6 {
				t.Errorf("%q(%v) = %v, want %v", name, v, got, f(float64(v)))
			}
		}
	}
}

func TestSoftmaxRowsSumToOne(t *testing.T) {
	a, _ := Get("softmax")
	p := autograd.NewPlan(2)
	in := p.Input(3)
	copy(in.Value.Data(), []float32{1, 2, 3, -1, 0, 100})
	out := a.Apply(p, in)
	p.Forward(false)
	d := out.Value.Data()
	e := math.Exp(1) + math.Exp(2) + math.Exp(3)
	if math.Abs(float64(d[2])-math.Exp(3)/e) > 1e-6 || math.Abs(float64(d[3]+d[4]+d[5])-1) > 1e-6 {
		t.Errorf("softmax %v", d)
	}
}

func TestUnknownActivationListsKnownOnes(t *testing.T) {
	_, err := Get("relu7")
	if err == nil || !strings.Contains(err.Error(), "relu7") || !strings.Contains(err.Error(), "sigmoid") {
		t.Errorf("error %v", err)
	}
}
