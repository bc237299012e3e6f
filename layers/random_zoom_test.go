package layers

import (
	"math"
	"slices"
	"testing"
)

func TestRandomZoomByHand(t *testing.T) {
	x := make([]float32, 25)
	for i := range x {
		x[i] = float32(i + 1)
	}
	// Factor 1.0 reads twice the extent about the centre: a 2× zoom out.
	// Output (r, c) reads input (2r-2, 2c-2).
	got := augmentRun(t, RandomZoom([2]float64{1, 1}, WithFillMode("constant")), 1, true, 5, 5, 1, x)
	want := make([]float32, 25)
	for r := range 5 {
		for c := range 5 {
			if ir, ic := 2*r-2, 2*c-2; ir >= 0 && ir < 5 && ic >= 0 && ic < 5 {
				want[r*5+c] = x[ir*5+ic]
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("2× zoom out: %v, want %v", got, want)
	}
	// Factor -0.5 reads half the extent: a 2× zoom in; output (r, c) reads
	// input (1 + r/2, 1 + c/2), halfway points interpolated.
	got = augmentRun(t, RandomZoom([2]float64{-0.5, -0.5}), 1, true, 5, 5, 1, x)
	for r := range 5 {
		for c := range 5 {
			ir, ic := 1+float64(r)/2, 1+float64(c)/2
			if w := 5*ir + ic + 1; math.Abs(float64(got[r*5+c])-w) > 1e-5 {
				t.Errorf("2× zoom in: (%d, %d) = %v, want %v", r, c, got[r*5+c], w)
			}
		}
	}
	// Width zoomed on its own: 2× out across, unchanged down.
	got = augmentRun(t, RandomZoom(0.0, WithWidthFactor([2]float64{1, 1}), WithFillMode("constant")), 1, true, 5, 5, 1, x)
	if row := got[5:10]; !slices.Equal(row, []float32{0, 6, 8, 10, 0}) {
		t.Errorf("width-only zoom: second row %v, want [0 6 8 10 0]", row)
	}
}
