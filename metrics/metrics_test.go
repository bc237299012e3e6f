package metrics

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

func mustTensor(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestAccuracyResolvesFromShapes(t *testing.T) {
	pred := mustTensor(t, []float32{0.1, 0.7, 0.2, 0.6, 0.3, 0.1, 0.2, 0.2, 0.6}, 3, 3)
	for _, c := range []struct {
		name   string
		target *tensor.Tensor
		want   float64
	}{
		{"categorical", mustTensor(t, []float32{0, 1, 0, 0, 0, 1, 0, 0, 1}, 3, 3), 2.0 / 3},
		{"sparse", mustTensor(t, []float32{1, 0, 0}, 3), 2.0 / 3},
		{"sparse (N,1)", mustTensor(t, []float32{1, 1, 2}, 3, 1), 2.0 / 3},
	} {
		m, err := Get("accuracy", []int{3}, c.target.Shape()[1:])
		if err != nil {
			t.Fatal(err)
		}
		m.Update(pred, c.target)
		if got := m.Result(); got != c.want {
			t.Errorf("%s: accuracy %v, want %v", c.name, got, c.want)
		}
	}
	bin, _ := Get("acc", []int{1}, []int{1})
	bin.Update(mustTensor(t, []float32{0.9, 0.2, 0.4, 0.7}, 4, 1), mustTensor(t, []float32{1, 0, 1, 0}, 4, 1))
	if bin.Result() != 0.5 || bin.Name() != "acc" {
		t.Errorf("binary accuracy %v (%s), want 0.5 (acc)", bin.Result(), bin.Name())
	}
	bin.Reset()
	if bin.Result() != 0 {
		t.Error("Reset did not clear")
	}
	if _, err := Get("f1", nil, nil); err == nil {
		t.Error("want error for unknown metric")
	}
}

func TestAccuracyAccumulatesAcrossBatches(t *testing.T) {
	m, _ := Get("accuracy", []int{2}, nil)
	m.Update(mustTensor(t, []float32{1, 0, 0, 1}, 2, 2), mustTensor(t, []float32{1, 1}, 2))          // 1 of 2
	m.Update(mustTensor(t, []float32{1, 0, 1, 0, 0, 1}, 3, 2), mustTensor(t, []float32{0, 0, 1}, 3)) // 3 of 3
	if got := m.Result(); got != 4.0/5 {
		t.Errorf("accuracy %v, want 0.8 (sample-weighted, not a mean of batch means)", got)
	}
}

// An output of several positions, (N, T, classes), is scored per position,
// as Keras's argmax over the last axis does: here 2 of 6 positions are
// right, whatever the targets' form.
func TestAccuracyPerPosition(t *testing.T) {
	pred := mustTensor(t, []float32{
		0.9, 0.1, 0.2, 0.8, 0.6, 0.4, // sample 0: classes 0, 1, 0
		0.3, 0.7, 0.4, 0.6, 0.1, 0.9, // sample 1: classes 1, 1, 1
	}, 2, 3, 2)
	labels := []float32{0, 0, 1, 1, 0, 0} // right at (0,0) and (1,0)
	oneHot := make([]float32, 12)
	for i, c := range labels {
		oneHot[2*i+int(c)] = 1
	}
	for _, c := range []struct {
		name   string
		target *tensor.Tensor
	}{
		{"sparse (N,T)", mustTensor(t, labels, 2, 3)},
		{"sparse (N,T,1)", mustTensor(t, labels, 2, 3, 1)},
		{"categorical", mustTensor(t, oneHot, 2, 3, 2)},
	} {
		m, err := Get("accuracy", []int{3, 2}, c.target.Shape()[1:])
		if err != nil {
			t.Fatal(err)
		}
		m.Update(pred, c.target)
		if got := m.Result(); got != 2.0/6 {
			t.Errorf("%s: accuracy %v, want %v (Keras: per position)", c.name, got, 2.0/6)
		}
	}
}

// A prediction holding a NaN is read as NumPy's argmax reads it, as Keras's
// accuracy does on its NumPy, JAX and PyTorch backends: the class is the
// first NaN's, so the row is right only when the label is that index, not
// when the label is where the largest number happens to be.
func TestAccuracyNaNPrediction(t *testing.T) {
	nan := float32(math.NaN())
	pred := mustTensor(t, []float32{
		0.9, 0.05, nan, // argmax 2; label 0: wrong (0 before NumPy's rule)
		0.1, nan, 0.2, // argmax 1; label 1: right
		0.9, 0.05, nan, // argmax 2; label 2: right
		nan, 1, 0, // argmax 0; label 1: wrong
	}, 4, 3)
	labels := []float32{0, 1, 2, 1}
	oneHot := make([]float32, 12)
	for i, c := range labels {
		oneHot[3*i+int(c)] = 1
	}
	for _, c := range []struct {
		name   string
		target *tensor.Tensor
	}{
		{"sparse", mustTensor(t, labels, 4)},
		{"categorical", mustTensor(t, oneHot, 4, 3)},
	} {
		m, err := Get("accuracy", []int{3}, c.target.Shape()[1:])
		if err != nil {
			t.Fatal(err)
		}
		m.Update(pred, c.target)
		if got := m.Result(); got != 0.5 {
			t.Errorf("%s: accuracy %v, want 0.5 (rows 2 and 3 right, by NumPy's argmax)", c.name, got)
		}
	}
}
