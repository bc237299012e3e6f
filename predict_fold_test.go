package goras

import (
	"context"
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// foldNet has the three chains an inference plan folds: Conv2D (same,
// bias) → BN → Activation("relu"); Conv2D (stride 2, no bias) →
// BN(scale=False) → ReLU(); Conv2D 1×1 → BN(center=False) with no ReLU;
// then Flatten → Dense(3). Its normalizations' weights are drawn far from
// their initial values, so that a fold that dropped one would show.
func foldNet(t testing.TB, seed uint64) *Model {
	t.Helper()
	m := NewSequential(layers.Input(7, 7, 2),
		layers.Conv2D(3, 3, layers.WithPadding("same")),
		layers.BatchNormalization(),
		layers.Activation("relu"),
		layers.Conv2D(4, 3, layers.WithStrides(2), layers.WithUseBias(false)),
		layers.BatchNormalization(layers.WithScale(false)),
		layers.ReLU(),
		layers.Conv2D(2, 1),
		layers.BatchNormalization(layers.WithCenter(false)),
		layers.Flatten(),
		layers.Dense(3))
	m.SetSeed(seed)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(seed + 100)
	for _, l := range m.Layers() {
		switch l := l.(type) {
		case *layers.Conv2DLayer:
			if ps := l.Params(); len(ps) == 2 {
				ps[1].Value.FillNormal(rng, 0, 0.5)
			}
		case *layers.BatchNormLayer:
			bn := l.Inference()
			bn.MovingMean.Value.FillNormal(rng, 0, 0.5)
			bn.MovingVariance.Value.FillUniform(rng, 0.3, 2)
			if bn.Gamma != nil {
				bn.Gamma.Value.FillUniform(rng, -1.5, 1.5)
			}
			if bn.Beta != nil {
				bn.Beta.Value.FillNormal(rng, 0, 0.5)
			}
		}
	}
	return m
}

// foldRef is foldNet's forward pass in float64 from its current weights.
func foldRef(m *Model, x *tensor.Tensor) []float64 {
	n := x.Dim(0)
	var out []float64
	for s := range n {
		v := make([]float64, 7*7*2)
		for i := range v {
			v[i] = float64(x.Data()[s*len(v)+i])
		}
		h, w, c := 7, 7, 2
		for _, l := range m.Layers() {
			switch l := l.(type) {
			case *layers.Conv2DLayer:
				stride, pad := 1, 0
				if l.Filters() == 3 {
					pad = 1
				} else if l.Filters() == 4 {
					stride = 2
				}
				v, h, w, c = conv64(v, h, w, c, l.Params(), stride, pad)
			case *layers.BatchNormLayer:
				bn := l.Inference()
				for i := range v {
					v[i] = bn64(bn, i%c, v[i])
				}
			case *layers.ActivationLayer, *layers.ReLULayer:
				for i := range v {
					v[i] = max(v[i], 0)
				}
			case *layers.DenseLayer:
				k, b := l.Params()[0].Value, l.Params()[1].Value.Data()
				units := k.Dim(1)
				for u := range units {
					acc := float64(b[u])
					for i, xi := range v {
						acc += xi * float64(k.Data()[i*units+u])
					}
					out = append(out, acc)
				}
			}
		}
	}
	return out
}

// conv64 is a Conv2D of one sample (h, w, c) in float64 with a square
// kernel, stride and padding on every side.
func conv64(x []float64, h, w, c int, ps []*autograd.Param, stride, pad int) ([]float64, int, int, int) {
	k := ps[0].Value
	kh, kw, f := k.Dim(0), k.Dim(1), k.Dim(3)
	oh, ow := (h+2*pad-kh)/stride+1, (w+2*pad-kw)/stride+1
	y := make([]float64, oh*ow*f)
	for i := range oh {
		for j := range ow {
			for o := range f {
				var s float64
				if len(ps) == 2 {
					s = float64(ps[1].Value.Data()[o])
				}
				for ky := range kh {
					for kx := range kw {
						iy, ix := i*stride+ky-pad, j*stride+kx-pad
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						for ci := range c {
							s += x[(iy*w+ix)*c+ci] * float64(k.Data()[((ky*kw+kx)*c+ci)*f+o])
						}
					}
				}
				y[(i*ow+j)*f+o] = s
			}
		}
	}
	return y, oh, ow, f
}

func bn64(bn autograd.BatchNormInference, c int, v float64) float64 {
	g, b := 1.0, 0.0
	if bn.Gamma != nil {
		g = float64(bn.Gamma.Value.Data()[c])
	}
	if bn.Beta != nil {
		b = float64(bn.Beta.Value.Data()[c])
	}
	mean, variance := float64(bn.MovingMean.Value.Data()[c]), float64(bn.MovingVariance.Value.Data()[c])
	return g*(v-mean)/math.Sqrt(variance+bn.Epsilon) + b
}

// closeTo checks got against want within tol relative to the larger of
// |want| and the outputs' largest magnitude (relative to each value alone
// would be meaningless for values near 0, which cancellation makes).
func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for i, g := range got {
		if d := math.Abs(float64(g) - want[i]); !(d <= tol*(math.Abs(want[i])+scale)) {
			t.Fatalf("%s: output %d is %v, want %v (off by %.3g)", what, i, g, want[i], d)
		}
	}
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// predictUnfolded is PredictOutputs with folding off: the layers one by
// one.
func predictUnfolded(t *testing.T, m *Model, x *tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	m.plans.reset()
	foldOff = true
	defer func() { foldOff = false; m.plans.reset() }()
	ys, err := m.PredictOutputs(x, Verbose(0), BatchSize(x.Dim(0)))
	if err != nil {
		t.Fatal(err)
	}
	return ys
}

// Predict runs the three chains folded (5 ops instead of 10) and gives
// the layers' answer within 1e-5 relative, and the float64 forward pass's.
func TestPredictFoldsConvBatchNormReLU(t *testing.T) {
	m := foldNet(t, 1)
	x := randomTensor(2, 5, 7, 7, 2)
	got, err := m.Predict(x, Verbose(0), BatchSize(5))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := m.takePredictPlan(5)
	if err != nil {
		t.Fatal(err)
	}
	if n := bp.plan.Ops(); n != 5 {
		t.Errorf("the folded plan has %d ops, want 5 (three folded convolutions, MatMul, BiasAdd)", n)
	}
	m.givePredictPlan(bp)
	closeTo(t, "folded against float64", got.Data(), foldRef(m, x), 1e-5)
	unfolded := predictUnfolded(t, m, x)[0]
	closeTo(t, "folded against the layers one by one", got.Data(), to64(unfolded.Data()), 1e-5)
	closeTo(t, "layers one by one against float64", unfolded.Data(), foldRef(m, x), 1e-5)
}

// The folded plan outlives weight changes (Fit, SetWeights, a user's own
// writes): each Predict must answer with the weights of the moment.
func TestPredictFoldFollowsWeightChanges(t *testing.T) {
	m := foldNet(t, 3)
	x := randomTensor(4, 6, 7, 7, 2)
	predict := func(what string) {
		t.Helper()
		got, err := m.PredictOnBatch(x)
		if err != nil {
			t.Fatal(err)
		}
		closeTo(t, what, got.Data(), foldRef(m, x), 1e-5)
	}
	predict("before training")
	before := foldRef(m, x)
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.MeanSquaredError{}}); err != nil {
		t.Fatal(err)
	}
	predict("after Compile")
	y := randomTensor(5, 6, 3)
	if _, err := m.Fit(context.Background(), x, y, Epochs(2), BatchSize(3), Verbose(0)); err != nil {
		t.Fatal(err)
	}
	if after := foldRef(m, x); math.Abs(after[0]-before[0]) < 1e-3 {
		t.Fatalf("training moved output 0 from %v to %v only: the test would not see a stale fold", before[0], after[0])
	}
	predict("after Fit")
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		for i := range w.Data() {
			w.Data()[i] *= 1.25
		}
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	predict("after SetWeights")
	m.Layers()[1].Params()[2].Value.Data()[0] += 0.5 // the first moving mean, written by hand
	predict("after writing a moving mean")
}

// A chain stops where a value has another reader: a BN output that is
// also a model output keeps its ReLU apart, a convolution read twice is
// not folded at all; the answers stay the layers'.
func TestPredictFoldStopsAtSharedValues(t *testing.T) {
	in := Input(6, 6, 2)
	c1 := Call(layers.Conv2D(3, 3, layers.WithPadding("same")), in)
	b1 := Call(layers.BatchNormalization(), c1)
	r1 := Call(layers.Activation("relu"), b1)
	c2 := Call(layers.Conv2D(3, 1), in)
	b2 := Call(layers.BatchNormalization(), c2)
	r2 := Call(layers.ReLU(), b2)
	sum := Call(layers.Add(), r1, r2, c2) // c2 read twice
	x := randomTensor(6, 4, 6, 6, 2)
	for _, c := range []struct {
		name    string
		outputs []*KerasTensor
		relu    bool // whether c1's fold takes r1
	}{
		{"b1 an output too", []*KerasTensor{sum, b1}, false},
		{"b1 read by r1 alone", []*KerasTensor{sum}, true},
	} {
		m, err := NewModel([]*KerasTensor{in}, c.outputs)
		if err != nil {
			t.Fatal(err)
		}
		m.SetSeed(2)
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		folds := m.inferenceFolds()
		want := 2
		if c.relu {
			want = 3
		}
		if f, ok := folds[c1]; len(folds) != want || !ok || f.conv == nil || f.relu != c.relu {
			t.Errorf("%s: folds %v, want c1 with b1 and relu %v, nothing at c2", c.name, folds, c.relu)
		}
		got, err := m.PredictOutputs(x, Verbose(0), BatchSize(4))
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range predictUnfolded(t, m, x) {
			closeTo(t, c.name+": folded against the layers", got[i].Data(), to64(u.Data()), 1e-5)
		}
	}
}

// Folded plans run concurrently (one per goroutine) and a call allocates
// nothing but its result; run under -race.
func TestPredictFoldConcurrentAndAllocFree(t *testing.T) {
	m := foldNet(t, 5)
	x := randomTensor(7, 8, 7, 7, 2)
	want, err := m.PredictOnBatch(x)
	if err != nil {
		t.Fatal(err)
	}
	checkPredictOnBatchShared(t, m, x, want, 10)
}
