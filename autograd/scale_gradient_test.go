package autograd

import "testing"

// ScaleGradient is the identity forward; backward it adds w·dy to what
// x's gradient already holds (so several consumers of x add up).
func TestScaleGradient(t *testing.T) {
	p := NewPlan(2)
	x := constant([]int{2, 2}, []float32{1, -2, 3, 0.5})
	x.Grad = constant([]int{2, 2}, []float32{10, 10, 10, 10}).Value
	y := p.ScaleGradient(x, 0.25)
	target := constant([]int{2, 2}, []float32{0, 0, 0, 0})
	mse := p.MeanSquaredError(y, target)
	p.Forward(true)
	for i, v := range y.Value.Data() {
		if v != x.Value.Data()[i] {
			t.Fatalf("forward: y[%d] = %g, want x's %g", i, v, x.Value.Data()[i])
		}
	}
	// Backward zeroes only the plan's own gradients; x's is the caller's.
	p.Backward()
	for i, v := range x.Value.Data() {
		want := 10 + 0.25*(2*v/4) // d mean(y²)/dy = 2y/4, scaled by 0.25
		if got := x.Grad.Data()[i]; got != want {
			t.Errorf("dx[%d] = %g, want %g", i, got, want)
		}
	}
	if want := (1 + 4 + 9 + 0.25) / 4.0; mse.Loss() != want {
		t.Errorf("loss %g, want %g (the loss itself is not scaled)", mse.Loss(), want)
	}
}
