package layers

import (
	"slices"
	"testing"
)

func TestRandomTranslationOnePixel(t *testing.T) {
	x := grid(
		[]float32{1, 2, 3, 4},
		[]float32{5, 6, 7, 8},
		[]float32{9, 10, 11, 12},
		[]float32{13, 14, 15, 16},
	)
	// 0.25 of 4 pixels: one pixel right, and one up.
	got := augmentRun(t, RandomTranslation([2]float64{-0.25, -0.25}, [2]float64{0.25, 0.25}, WithFillMode("constant")), 1, true, 4, 4, 1, x)
	want := grid(
		[]float32{0, 5, 6, 7},
		[]float32{0, 9, 10, 11},
		[]float32{0, 13, 14, 15},
		[]float32{0, 0, 0, 0},
	)
	if !slices.Equal(got, want) {
		t.Errorf("one pixel right and up, constant fill: %v, want %v", got, want)
	}
	// Fill modes at the borders, by hand: two pixels left.
	for _, c := range []struct {
		mode string
		row  []float32 // the first row of the result
	}{
		{"constant", []float32{3, 4, 0, 0}},
		{"reflect", []float32{3, 4, 4, 3}},
		{"nearest", []float32{3, 4, 4, 4}},
		{"wrap", []float32{3, 4, 1, 2}},
	} {
		got := augmentRun(t, RandomTranslation(0.0, [2]float64{-0.5, -0.5}, WithFillMode(c.mode)), 1, true, 4, 4, 1, x)
		if !slices.Equal(got[:4], c.row) {
			t.Errorf("two pixels left, %s fill: first row %v, want %v", c.mode, got[:4], c.row)
		}
	}
	got = augmentRun(t, RandomTranslation(0.0, [2]float64{-0.5, -0.5}, WithFillMode("constant"), WithFillValue(-1)), 1, true, 4, 4, 1, x)
	if !slices.Equal(got[:4], []float32{3, 4, -1, -1}) {
		t.Errorf("fill value -1: first row %v", got[:4])
	}
}
