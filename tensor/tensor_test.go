package tensor

import (
	"math"
	"testing"
)

func TestReshapeAndSliceShareStorage(t *testing.T) {
	x := New(2, 3, 4)
	for i := range x.Data() {
		x.Data()[i] = float32(i)
	}
	v, err := x.Reshape(2, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !SameShape(v.Shape(), []int{2, 12}) {
		t.Fatalf("shape %v", v.Shape())
	}
	v.Set(-1, 1, 11)
	if x.At(1, 2, 3) != -1 {
		t.Fatalf("view does not share storage")
	}
	s := x.Slice(1, 2)
	if s.At(0, 0, 1) != 13 || !SameShape(s.Shape(), []int{1, 3, 4}) {
		t.Fatalf("slice wrong: %v %v", s.Shape(), s.At(0, 0, 1))
	}
	if _, err := x.Reshape(5, -1); err == nil {
		t.Fatal("reshape of 24 values to (5,-1) should fail")
	}
	if _, err := x.Reshape(4, 5); err == nil {
		t.Fatal("reshape of 24 values to (4,5) should fail")
	}
}

func TestFromSliceChecksLength(t *testing.T) {
	if _, err := FromSlice(make([]float32, 5), 2, 3); err == nil {
		t.Fatal("want error for 5 values in (2,3)")
	}
	if _, err := FromSlice(make([]float32, 6), 2, 3); err != nil {
		t.Fatal(err)
	}
}

func TestShapeString(t *testing.T) {
	for _, c := range []struct {
		shape []int
		batch bool
		want  string
	}{
		{[]int{28, 28}, true, "(None, 28, 28)"},
		{[]int{10}, true, "(None, 10)"},
		{[]int{10}, false, "(10,)"},
	} {
		if got := ShapeString(c.shape, c.batch); got != c.want {
			t.Errorf("ShapeString(%v,%v) = %q, want %q", c.shape, c.batch, got, c.want)
		}
	}
}

func TestRandomFillsAreSeededAndHaveTheRightMoments(t *testing.T) {
	a, b := New(20000), New(20000)
	a.FillNormal(NewRNG(7), 1, 2)
	b.FillNormal(NewRNG(7), 1, 2)
	for i := range a.Data() {
		if a.Data()[i] != b.Data()[i] {
			t.Fatal("same seed gave different values")
		}
	}
	mean, std := moments(a.Data())
	if math.Abs(mean-1) > 0.05 || math.Abs(std-2) > 0.05 {
		t.Errorf("normal moments %.3f %.3f, want 1 2", mean, std)
	}
	a.FillUniform(NewRNG(8), -3, 3)
	mean, std = moments(a.Data())
	if math.Abs(mean) > 0.05 || math.Abs(std-math.Sqrt(3)) > 0.05 {
		t.Errorf("uniform moments %.3f %.3f, want 0 %.3f", mean, std, math.Sqrt(3))
	}
	a.FillTruncatedNormal(NewRNG(9), 0, 1)
	for _, v := range a.Data() {
		if math.Abs(float64(v)) > 2 {
			t.Fatalf("truncated normal gave %v", v)
		}
	}
	// The std of N(0,1) truncated at ±2 is 0.8796 (the constant Keras divides by).
	_, std = moments(a.Data())
	if math.Abs(std-0.8796) > 0.02 {
		t.Errorf("truncated std %.4f, want 0.8796", std)
	}
}

func moments(x []float32) (mean, std float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		d := float64(v) - mean
		std += d * d
	}
	return mean, math.Sqrt(std / float64(len(x)))
}
