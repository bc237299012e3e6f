package layers

import "testing"

// rot90 turns a square picture a quarter turn counter-clockwise (numpy's
// rot90 with k=1): the top-right corner goes to the top-left.
func rot90(x []float32, n int) []float32 {
	out := make([]float32, len(x))
	for r := range n {
		for c := range n {
			out[r*n+c] = x[c*n+(n-1-r)]
		}
	}
	return out
}

func TestRandomRotationQuarterTurn(t *testing.T) {
	// One lit pixel in the top-right corner of a 3×3 image goes to the
	// top-left corner: counter-clockwise, as Keras turns for a positive factor.
	lit := grid([]float32{0, 0, 1}, []float32{0, 0, 0}, []float32{0, 0, 0})
	got := augmentRun(t, RandomRotation([2]float64{0.25, 0.25}, WithFillMode("constant")), 1, true, 3, 3, 1, lit)
	if want := grid([]float32{1, 0, 0}, []float32{0, 0, 0}, []float32{0, 0, 0}); !near(got, want, 1e-6) {
		t.Errorf("+90° of the top-right pixel: %v, want %v", got, want)
	}
	got = augmentRun(t, RandomRotation([2]float64{-0.25, -0.25}, WithFillMode("constant")), 1, true, 3, 3, 1, lit)
	if want := grid([]float32{0, 0, 0}, []float32{0, 0, 0}, []float32{0, 0, 1}); !near(got, want, 1e-6) {
		t.Errorf("-90° of the top-right pixel: %v, want %v", got, want)
	}

	// An asymmetric pattern on even and odd sizes, two images per batch:
	// a quarter turn is a permutation, so every fill mode agrees.
	for _, n := range []int{4, 5} {
		x := make([]float32, 2*n*n)
		for i := range x {
			x[i] = float32(i*i%7) + float32(i)/100
		}
		for _, mode := range []string{"constant", "reflect", "nearest", "wrap"} {
			got := augmentRun(t, RandomRotation([2]float64{0.25, 0.25}, WithFillMode(mode)), 1, true, n, n, 1, x)
			want := append(rot90(x[:n*n], n), rot90(x[n*n:], n)...)
			if !near(got, want, 1e-5) {
				t.Errorf("%d×%d %s: +90° gave %v, want %v", n, n, mode, got, want)
			}
		}
	}
}
