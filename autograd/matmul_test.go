package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMatMulSparseInput runs MatMul on an input that is 90 % zeros and tall
// enough for the sparse product (when the CPU has it), forward and backward,
// against float64 products.
func TestMatMulSparseInput(t *testing.T) {
	const m, k, n = 40, 100, 50
	rng := rand.New(rand.NewPCG(8, 9))
	p := NewPlan(m)
	x := p.Input(k)
	for i := range x.Value.Data() {
		if rng.IntN(10) == 0 {
			x.Value.Data()[i] = float32(rng.Float64())
		}
	}
	w := param(p, rng, "w", k, n)
	y := p.MatMul(x, w)
	loss := p.probe(y, rng)
	p.Forward(true)
	p.Backward()
	xv, wv := x.Value.Data(), w.Value.Data()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for q := 0; q < k; q++ {
				s += float64(xv[i*k+q]) * float64(wv[q*n+j])
			}
			if got := y.Value.Data()[i*n+j]; math.Abs(float64(got)-s) > 1e-5*(1+math.Abs(s)) {
				t.Fatalf("y[%d,%d] = %v, want %v", i, j, got, s)
			}
		}
	}
	r := loss.(*probe).r
	for q := 0; q < k; q++ {
		for j := 0; j < n; j++ {
			var s float64
			for i := 0; i < m; i++ {
				s += float64(xv[i*k+q]) * float64(r[i*n+j])
			}
			if got := w.Grad.Data()[q*n+j]; math.Abs(float64(got)-s) > 1e-5*(1+math.Abs(s)) {
				t.Fatalf("dW[%d,%d] = %v, want %v", q, j, got, s)
			}
		}
	}
}
