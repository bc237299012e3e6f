package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// lossCase is a loss checked against finite differences: pred is the
// checked input, target is closed over without a gradient.
type lossCase struct {
	name         string
	pred, target []float32
	shape        []int
	build        func(p *Plan, pred, target *Var) LossOp
	opt          GradCheck
}

// draw returns n values from f.
func draw(n int, f func() float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(f())
	}
	return out
}

// oneHotRows returns rows×n one-hot rows of random classes.
func oneHotRows(rng *rand.Rand, rows, n int) []float32 {
	out := make([]float32, rows*n)
	for r := range rows {
		out[r*n+rng.IntN(n)] = 1
	}
	return out
}

// awayFrom returns f's draws moved out of (-gap, gap) around 0, so that a
// finite difference never straddles a kink placed there.
func awayFrom(gap float64, f func() float64) func() float64 {
	return func() float64 {
		v := f()
		if math.Abs(v) < gap {
			return math.Copysign(gap+math.Abs(v), v)
		}
		return v
	}
}

func lossCases(rng *rand.Rand) []lossCase {
	norm := rng.NormFloat64
	unit := func() float64 { return 0.05 + 0.9*rng.Float64() }
	signs := func() float64 { return float64(2*rng.IntN(2) - 1) }
	bits := func() float64 { return float64(rng.IntN(2)) }
	const n = 12
	target := draw(n, norm)
	// Predictions at least 0.1 from the target (|e| kinks of MAE, MAPE),
	// and for Huber at least 0.1 from ±delta as well.
	near := func(gap float64, kinks ...float64) []float32 {
		out := make([]float32, n)
		for i := range out {
			for {
				e := 2 * norm()
				ok := math.Abs(e) > gap
				for _, k := range kinks {
					ok = ok && math.Abs(math.Abs(e)-k) > gap
				}
				if ok {
					out[i] = target[i] + float32(e)
					break
				}
			}
		}
		return out
	}
	shape := []int{3, 4}
	return []lossCase{
		{"MeanAbsoluteError", near(0.1), target, shape, (*Plan).MeanAbsoluteError, GradCheck{}},
		{"MeanAbsolutePercentageError", near(0.1), draw(n, awayFrom(0.5, norm)), shape, (*Plan).MeanAbsolutePercentageError, GradCheck{}},
		{"Huber", near(0.1, 1), target, shape, func(p *Plan, x, y *Var) LossOp { return p.Huber(x, y, 1) }, GradCheck{}},
		{"Huber delta 0.5", near(0.1, 0.5), target, shape, func(p *Plan, x, y *Var) LossOp { return p.Huber(x, y, 0.5) }, GradCheck{}},
		{"LogCosh", draw(n, norm), target, shape, (*Plan).LogCosh, GradCheck{}},
		{"KLDivergence", draw(n, unit), draw(n, unit), shape, (*Plan).KLDivergence, GradCheck{Step: 1e-3}},
		{"Poisson", draw(n, func() float64 { return 0.5 + 2*rng.Float64() }), draw(n, func() float64 { return float64(rng.IntN(4)) }), shape, (*Plan).Poisson, GradCheck{Step: 1e-3}},
		{"Hinge ±1", draw(n, awayFrom(0.1, norm)), draw(n, signs), shape, (*Plan).Hinge, GradCheck{}},
		{"Hinge 0/1", draw(n, awayFrom(0.1, norm)), draw(n, bits), shape, (*Plan).Hinge, GradCheck{}},
		{"SquaredHinge", draw(n, norm), draw(n, signs), shape, (*Plan).SquaredHinge, GradCheck{}},
		{"CategoricalHinge", draw(n, norm), oneHotRows(rng, 3, 4), shape, (*Plan).CategoricalHinge, GradCheck{}},
		{"CategoricalFocal probabilities", draw(n, unit), oneHotRows(rng, 3, 4), shape, func(p *Plan, x, y *Var) LossOp {
			return p.CategoricalFocalCrossentropy(x, y, []float64{0.25}, 2, false, 0)
		}, GradCheck{Step: 1e-3}},
		{"CategoricalFocal logits, per-class alpha, smoothing", draw(n, norm), oneHotRows(rng, 3, 4), shape, func(p *Plan, x, y *Var) LossOp {
			return p.CategoricalFocalCrossentropy(x, y, []float64{0.1, 0.2, 0.3, 0.4}, 1.5, true, 0.1)
		}, GradCheck{Step: 1e-3}},
		{"BinaryFocal probabilities", draw(n, unit), draw(n, bits), shape, func(p *Plan, x, y *Var) LossOp {
			return p.BinaryFocalCrossentropy(x, y, false, 0.25, 2, false, 0)
		}, GradCheck{Step: 1e-3}},
		{"BinaryFocal logits, balanced, smoothing", draw(n, norm), draw(n, bits), shape, func(p *Plan, x, y *Var) LossOp {
			return p.BinaryFocalCrossentropy(x, y, true, 0.3, 3, true, 0.2)
		}, GradCheck{}},
	}
}

// TestLossGradients checks every loss's Backward against central
// differences of its Forward.
func TestLossGradients(t *testing.T) {
	for _, c := range lossCases(rand.New(rand.NewPCG(3, 4))) {
		pred, err := tensor.FromSlice(c.pred, c.shape...)
		if err != nil {
			t.Fatal(err)
		}
		target := &Var{Value: must(tensor.FromSlice(c.target, c.shape...))}
		err = CheckLossGradients(func(p *Plan, in []*Var) LossOp {
			l := c.build(p, in[0], target)
			return l
		}, c.opt, pred)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func must(t *tensor.Tensor, err error) *tensor.Tensor {
	if err != nil {
		panic(err)
	}
	return t
}
