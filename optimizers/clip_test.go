package optimizers

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// TestClipping checks each clipping mode with plain SGD at lr 1 from w = 0,
// so that w after one step is minus the clipped gradient.
func TestClipping(t *testing.T) {
	cases := []struct {
		name  string
		opts  []Option
		grads [][]float64
		want  [][]float64 // clipped gradients
	}{
		{
			// ||[3,4]|| = 5 > 1: scaled by 1/5; ||[0.3,0.4]|| = 0.5 <= 1: unchanged.
			name: "clipnorm", opts: []Option{LearningRate(1), Clipnorm(1)},
			grads: [][]float64{{3, 4}, {0.3, 0.4}},
			want:  [][]float64{{0.6, 0.8}, {0.3, 0.4}},
		},
		{
			// Global norm sqrt(9+16+144) = 13 > 6.5: everything scaled by 0.5.
			name: "global_clipnorm", opts: []Option{LearningRate(1), GlobalClipnorm(6.5)},
			grads: [][]float64{{3, 4}, {0, -12}},
			want:  [][]float64{{1.5, 2}, {0, -6}},
		},
		{
			// Global norm 13 <= 20: unchanged.
			name: "global_clipnorm below", opts: []Option{LearningRate(1), GlobalClipnorm(20)},
			grads: [][]float64{{3, 4}, {0, -12}},
			want:  [][]float64{{3, 4}, {0, -12}},
		},
		{
			name: "clipvalue", opts: []Option{LearningRate(1), Clipvalue(0.5)},
			grads: [][]float64{{3, -4, 0.2}, {-0.5, 0.49}},
			want:  [][]float64{{0.5, -0.5, 0.2}, {-0.5, 0.49}},
		},
		{
			// Keras: a clip of 0 clips nothing ("if self.clipnorm and ...").
			name: "clipnorm 0", opts: []Option{LearningRate(1), Clipnorm(0)},
			grads: [][]float64{{3, 4}},
			want:  [][]float64{{3, 4}},
		},
		{
			name: "clipvalue 0", opts: []Option{LearningRate(1), Clipvalue(0)},
			grads: [][]float64{{3, -4}},
			want:  [][]float64{{3, -4}},
		},
		{
			name: "clipnorm zero gradient", opts: []Option{LearningRate(1), Clipnorm(1)},
			grads: [][]float64{{0, 0}},
			want:  [][]float64{{0, 0}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := NewSGD(c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			var w []*tensor.Tensor
			for _, g := range c.grads {
				w = append(w, tensor.New(len(g)))
			}
			if err := o.Build(w); err != nil {
				t.Fatal(err)
			}
			o.Apply(w, tensors(c.grads))
			for i := range c.want {
				for j, want := range c.want[i] {
					if got := -float64(w[i].Data()[j]); !closeTo(got, want, 1e-6) {
						t.Errorf("clipped g[%d][%d] = %v, want %v", i, j, got, want)
					}
				}
			}
		})
	}
}

// A non-finite global norm turns every gradient into NaN, as Keras's
// clip_by_global_norm does.
func TestGlobalClipnormNonFinite(t *testing.T) {
	o, _ := NewSGD(LearningRate(1), GlobalClipnorm(1))
	w := []*tensor.Tensor{tensor.New(2), tensor.New(1)}
	if err := o.Build(w); err != nil {
		t.Fatal(err)
	}
	o.Apply(w, tensors([][]float64{{math.Inf(1), 1}, {2}}))
	for i := range w {
		for _, x := range w[i].Data() {
			if !math.IsNaN(float64(x)) {
				t.Fatalf("w = %v, %v: want all NaN", w[0], w[1])
			}
		}
	}
}

// Clipping happens before the update rule: Adam with clipnorm matches the
// reference with pre-clipped gradients (also covered by TestAgainstReference)
// and weight decay uses the rate of the step: w = 2, wd 0.5, lr 0.1, g = 0
// gives w = 2 - 2*0.5*0.1 = 1.9.
func TestWeightDecay(t *testing.T) {
	o, err := NewSGD(LearningRate(0.1), WeightDecay(0.5))
	if err != nil {
		t.Fatal(err)
	}
	w := tensors([][]float64{{2, -4}})
	if err := o.Build(w); err != nil {
		t.Fatal(err)
	}
	o.Apply(w, tensors([][]float64{{0, 1}}))
	// w[1] = -4 + 4*0.05 - 0.1*1 = -3.9
	for j, want := range []float64{1.9, -3.9} {
		if got := float64(w[0].Data()[j]); !closeTo(got, want, 1e-6) {
			t.Errorf("w[%d] = %v, want %v", j, got, want)
		}
	}
}
