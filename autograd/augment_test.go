package autograd

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// fixedMaps is a sampler that returns the same maps every time, cycling
// through maps for the images of a batch.
type fixedMaps struct {
	maps  [][6]float64
	calls int
}

func (f *fixedMaps) SampleAffine(m []float64, h, w int) {
	f.calls++
	for i := 0; i < len(m); i += 6 {
		copy(m[i:i+6], f.maps[(i/6)%len(f.maps)][:])
	}
}

// rot90 is the map of Keras's RandomRotation at +90° for an h×w image.
func rot90(h, w int) [6]float64 {
	return [6]float64{0, -1, float64(w-1)/2 + float64(h-1)/2, 1, 0, float64(h-1)/2 - float64(w-1)/2}
}

func shift(dx, dy float64) [6]float64 { return [6]float64{1, 0, -dx, 0, 1, -dy} }

var someMaps = [][6]float64{
	{0.9, -0.3, 0.6, 0.35, 1.1, -0.4}, // rotation, zoom and shift, some points outside
	{1, 0, 1.5, 0, 1, -0.25},
	{0.5, 0.1, 1.2, -0.2, 0.7, 2.1},
}

// TestRandomAffineGradients checks the backward pass against finite
// differences: for fixed maps the warp is linear in x, in every mode.
func TestRandomAffineGradients(t *testing.T) {
	for _, opt := range []WarpOptions{
		{Mode: FillConstant, FillValue: 0.5},
		{Mode: FillReflect},
		{Mode: FillNearest},
		{Mode: FillWrap},
		{Mode: FillReflect, Nearest: true},
	} {
		t.Run(fmt.Sprintf("%+v", opt), func(t *testing.T) {
			rng := tensor.NewRNG(1)
			p := NewPlan(3)
			x := leaf(p, rng, false, 3, 4, 5, 2)
			loss := p.probe(p.RandomAffine(x, opt, &fixedMaps{maps: someMaps}), rng)
			checkGradients(t, forwardLoss(p, loss, true), p.Backward, []*Var{x}, 1e-3, 1e-3)
		})
	}
}

// TestRandomAffineInference: at inference the output is the input, bit for
// bit, and its gradient passes through unchanged; an inference-only plan
// adds no op at all.
func TestRandomAffineInference(t *testing.T) {
	rng := tensor.NewRNG(2)
	p := NewPlan(2)
	x := leaf(p, rng, false, 2, 3, 3, 1)
	s := &fixedMaps{maps: someMaps}
	y := p.RandomAffine(x, WarpOptions{}, s)
	loss := p.probe(y, rng)
	p.Forward(false)
	if !slices.Equal(y.Value.Data(), x.Value.Data()) {
		t.Errorf("inference output %v, want the input %v", y.Value.Data(), x.Value.Data())
	}
	p.Backward()
	if !slices.Equal(x.Grad.Data(), loss.(*probe).r) {
		t.Errorf("inference gradient %v, want the output gradient %v", x.Grad.Data(), loss.(*probe).r)
	}
	if s.calls != 0 {
		t.Errorf("inference drew %d sets of maps", s.calls)
	}

	ip := NewInferencePlan(2)
	in := ip.Input(3, 3, 1)
	if out := ip.RandomAffine(in, WarpOptions{}, s); out != in || ip.Ops() != 0 {
		t.Errorf("an inference plan got %d ops and a new output var", ip.Ops())
	}
}

// TestRandomAffineComposes checks that two samplers in one op equal two
// ops one after the other. With wrap fill, 90° turns of a square image and
// whole-pixel shifts are permutations, so the two must agree exactly.
func TestRandomAffineComposes(t *testing.T) {
	const n, hw = 2, 5
	a := &fixedMaps{maps: [][6]float64{rot90(hw, hw), shift(1, 0)}}
	b := &fixedMaps{maps: [][6]float64{shift(2, -1), rot90(hw, hw)}}
	opt := WarpOptions{Mode: FillWrap}

	p := NewPlan(n)
	x := p.Input(hw, hw, 1)
	for i := range x.Value.Data() {
		x.Value.Data()[i] = float32(i)
	}
	fused := p.RandomAffine(x, opt, a, b)
	chained := p.RandomAffine(p.RandomAffine(x, opt, a), opt, b)
	p.Forward(true)
	if !slices.Equal(fused.Value.Data(), chained.Value.Data()) {
		t.Errorf("fused %v\nchained %v", fused.Value.Data(), chained.Value.Data())
	}
	// And by hand for the first image: turn 90° counter-clockwise, then
	// shift 2 right and 1 up (wrapping), so input (row r, col c) lands at
	// row (hw-1-c) - 1, column r + 2.
	for r := range hw {
		for c := range hw {
			or, oc := (hw-1-c-1+hw)%hw, (r+2)%hw
			if got, want := fused.Value.Data()[or*hw+oc], x.Value.Data()[r*hw+c]; got != want {
				t.Errorf("input (%d, %d) = %v; output (%d, %d) = %v", r, c, want, or, oc, got)
			}
		}
	}
}

// TestRandomAffineParallel: the result does not depend on the number of
// workers, and a training step allocates nothing.
func TestRandomAffineParallel(t *testing.T) {
	const n = 64
	maps := make([][6]float64, 7)
	for i := range maps {
		th := 0.3 * float64(i-3)
		maps[i] = [6]float64{math.Cos(th), -math.Sin(th), float64(i) - 3, math.Sin(th), math.Cos(th), 1}
	}
	run := func(workers int) ([]float32, []float32) {
		kernel.SetWorkers(workers)
		defer kernel.SetWorkers(0)
		rng := tensor.NewRNG(3)
		p := NewPlan(n)
		x := leaf(p, rng, false, n, 6, 6, 1)
		p.probe(p.RandomAffine(x, WarpOptions{Mode: FillConstant}, &fixedMaps{maps: maps}), rng)
		step := func() { p.Forward(true); p.Backward() }
		step()
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("%d workers: a step allocates %v times", workers, a)
		}
		return p.ops[0].(*randomAffine).y.Value.Data(), x.Grad.Data()
	}
	y1, g1 := run(1)
	y2, g2 := run(2)
	if !slices.Equal(y1, y2) || !slices.Equal(g1, g2) {
		t.Errorf("1 and 2 workers differ")
	}
}

func TestRandomAffinePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("RandomAffine of a rank-2 input did not panic")
		}
	}()
	p := NewPlan(2)
	p.RandomAffine(p.Input(4), WarpOptions{}, &fixedMaps{maps: someMaps})
}
