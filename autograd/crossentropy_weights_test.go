package autograd

import (
	"math"
	"testing"
)

// A cross-entropy reading a softmax through a loss weight's ScaleGradient
// and sample weights' ScaleRows still works on the logits, and their
// gradient is scale·wᵢ/N·(pᵢⱼ - yᵢⱼ), computed here in float64.
func TestCrossEntropySeesThroughGradientScaling(t *testing.T) {
	const batch, classes = 4, 3
	w := []float32{0, 0.5, 2, 1}
	logits := []float32{1, 2, 3, -1, 0, 40, 0.5, 0.5, 0.5, 3, -2, 1}
	labels := []int{2, 0, 1, 0}
	for _, sparse := range []bool{false, true} {
		p := NewPlan(batch)
		x := p.NewVar(true, batch, classes)
		copy(x.Value.Data(), logits)
		pred := p.ScaleRows(p.ScaleGradient(p.Softmax(x), 0.5), w)
		var target *Var
		var op LossOp
		if sparse {
			target = p.NewVar(false, batch)
			for i, l := range labels {
				target.Value.Data()[i] = float32(l)
			}
			op = p.SparseCategoricalCrossentropy(pred, target, false)
		} else {
			target = p.NewVar(false, batch, classes)
			for i, l := range labels {
				target.Value.Data()[i*classes+l] = 1
			}
			op = p.CategoricalCrossentropy(pred, target, false, 0)
		}
		if ce := op.(*crossEntropy); ce.logits != x {
			t.Fatalf("sparse %v: the loss does not read the logits behind ScaleGradient and ScaleRows", sparse)
		}
		p.Forward(true)
		p.Backward()
		for i := range batch {
			row := logits[i*classes : (i+1)*classes]
			var sum float64
			for _, z := range row {
				sum += math.Exp(float64(z) - 40)
			}
			for j, z := range row {
				prob := math.Exp(float64(z)-40) / sum
				y := 0.0
				if j == labels[i] {
					y = 1
				}
				want := 0.5 * float64(w[i]) / batch * (prob - y)
				if got := float64(x.Grad.Data()[i*classes+j]); math.Abs(got-want) > 1e-6 {
					t.Errorf("sparse %v: dlogits[%d,%d] = %g, want %g", sparse, i, j, got, want)
				}
			}
		}
	}
}
