package autograd

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

var someResamples = []Resample{
	{Height: 5, Width: 7},                                            // up
	{Height: 2, Width: 3},                                            // down
	{Height: 3, Width: 3, Nearest: true},                             // nearest
	{Height: 4, Width: 4, Top: 1, Left: 1, Rows: 2, Cols: 3},         // a crop
	{Height: 6, Width: 5, Top: -1, Rows: 6, Fill: 0.5},               // padded rows
	{Height: 2, Width: 6, Left: -2, Cols: 8, Nearest: true, Fill: 1}, // padded columns, nearest
}

// TestResizeGradients checks the backward pass against finite differences:
// for a fixed geometry the resize is linear in x.
func TestResizeGradients(t *testing.T) {
	for _, r := range someResamples {
		t.Run(fmt.Sprintf("%+v", r), func(t *testing.T) {
			rng := tensor.NewRNG(1)
			p := NewPlan(2)
			x := leaf(p, rng, false, 2, 4, 4, 3)
			loss := p.probe(p.Resize(x, r), rng)
			checkGradients(t, forwardLoss(p, loss, true), p.Backward, []*Var{x}, 1e-3, 1e-3)
		})
	}
}

// TestResizeValues: a 1×2 image doubled in width, by hand, in training and
// at inference alike.
func TestResizeValues(t *testing.T) {
	p := NewPlan(1)
	x := p.Input(1, 2, 1)
	copy(x.Value.Data(), []float32{1, 2})
	y := p.Resize(x, Resample{Height: 1, Width: 4})
	for _, training := range []bool{true, false} {
		p.Forward(training)
		if want := []float32{1, 1.25, 1.75, 2}; !slices.Equal(y.Value.Data(), want) {
			t.Errorf("training %v: %v, want %v", training, y.Value.Data(), want)
		}
	}
}

// TestResizeParallel: the result does not depend on the number of workers,
// and a training step allocates nothing.
func TestResizeParallel(t *testing.T) {
	const n = 40
	run := func(workers int) ([]float32, []float32) {
		kernel.SetWorkers(workers)
		defer kernel.SetWorkers(0)
		rng := tensor.NewRNG(3)
		p := NewPlan(n)
		x := leaf(p, rng, false, n, 9, 7, 2)
		y := p.Resize(x, Resample{Height: 12, Width: 5})
		p.probe(y, rng)
		step := func() { p.Forward(true); p.Backward() }
		step()
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("%d workers: a step allocates %v times", workers, a)
		}
		return slices.Clone(y.Value.Data()), slices.Clone(x.Grad.Data())
	}
	y1, g1 := run(1)
	y2, g2 := run(2)
	if !slices.Equal(y1, y2) || !slices.Equal(g1, g2) {
		t.Errorf("1 and 2 workers differ")
	}
}

func TestResizePanics(t *testing.T) {
	for _, c := range []struct {
		name  string
		shape []int
		r     Resample
	}{
		{"rank 3", []int{4, 4}, Resample{Height: 2, Width: 2}},
		{"no height", []int{4, 4, 1}, Resample{Width: 2}},
		{"window below the image", []int{4, 4, 1}, Resample{Height: 2, Width: 2, Top: 4}},
		{"window left of the image", []int{4, 4, 1}, Resample{Height: 2, Width: 2, Left: -3, Cols: 3}},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			p := NewPlan(2)
			p.Resize(p.Input(c.shape...), c.r)
		}()
	}
}

// fixedCrops puts the windows at fixed places, cycling through at.
type fixedCrops struct {
	at    [][2]int
	calls int
}

func (f *fixedCrops) SampleCrop(at []int, rows, cols int) {
	f.calls++
	for i := 0; i < len(at); i += 2 {
		w := f.at[(i/2)%len(f.at)]
		at[i], at[i+1] = min(w[0], rows), min(w[1], cols)
	}
}

func TestRandomCropWindows(t *testing.T) {
	p := NewPlan(2)
	x := p.Input(4, 5, 2)
	for i := range x.Value.Data() {
		x.Value.Data()[i] = float32(i)
	}
	s := &fixedCrops{at: [][2]int{{1, 2}, {0, 0}}}
	y := p.RandomCrop(x, s, Resample{Height: 3, Width: 2})
	p.Forward(true)
	var want []float32
	for i, at := range [][2]int{{1, 2}, {0, 0}} {
		for r := range 3 {
			for c := range 2 {
				for k := range 2 {
					want = append(want, float32(((i*4+at[0]+r)*5+at[1]+c)*2+k))
				}
			}
		}
	}
	if !slices.Equal(y.Value.Data(), want) {
		t.Errorf("crops %v, want %v", y.Value.Data(), want)
	}
}

// TestRandomCropGradients: in training the crop is a copy of the window;
// at inference a resize; both checked against finite differences.
func TestRandomCropGradients(t *testing.T) {
	for _, training := range []bool{true, false} {
		rng := tensor.NewRNG(4)
		p := NewPlan(3)
		x := leaf(p, rng, false, 3, 5, 4, 2)
		s := &fixedCrops{at: [][2]int{{2, 1}, {0, 1}, {1, 0}}}
		loss := p.probe(p.RandomCrop(x, s, Resample{Height: 3, Width: 3, Left: 0, Top: 1, Rows: 3, Cols: 4}), rng)
		checkGradients(t, forwardLoss(p, loss, training), p.Backward, []*Var{x}, 1e-3, 1e-3)
	}
}

// TestRandomCropInference: at inference the output is Resize's, and the
// sampler is not called; an inference plan adds a plain resize.
func TestRandomCropInference(t *testing.T) {
	rng := tensor.NewRNG(5)
	r := Resample{Height: 2, Width: 3, Rows: 3, Cols: 4, Top: 1}
	p := NewPlan(2)
	x := leaf(p, rng, false, 2, 4, 4, 1)
	s := &fixedCrops{at: [][2]int{{0, 0}}}
	y := p.RandomCrop(x, s, r)
	z := p.Resize(x, r)
	p.Forward(false)
	if !slices.Equal(y.Value.Data(), z.Value.Data()) || s.calls != 0 {
		t.Errorf("inference %v, want the resize %v (%d draws)", y.Value.Data(), z.Value.Data(), s.calls)
	}
	ip := NewInferencePlan(2)
	in := ip.Input(4, 4, 1)
	out := ip.RandomCrop(in, s, r)
	if ip.Ops() != 1 || !tensor.SameShape(out.Shape(), []int{2, 2, 3, 1}) {
		t.Errorf("inference plan: %d ops, output %v", ip.Ops(), out.Shape())
	}
	if _, ok := ip.ops[0].(*resize); !ok {
		t.Errorf("inference plan op %T, want a resize", ip.ops[0])
	}
}

func TestRandomCropBadWindowPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("a window outside the image did not panic")
		}
	}()
	p := NewPlan(1)
	p.RandomCrop(p.Input(4, 4, 1), badCrops{}, Resample{Height: 2, Width: 2})
	p.Forward(true)
}

type badCrops struct{}

func (badCrops) SampleCrop(at []int, rows, cols int) { at[0], at[1] = rows+1, 0 }

// fixedContrast gives the images fixed factors, cycling through f.
type fixedContrast struct {
	f     []float64
	calls int
}

func (s *fixedContrast) SampleContrast(f []float64) {
	s.calls++
	for i := range f {
		f[i] = s.f[i%len(s.f)]
	}
}

// refContrast is RandomContrast's training output in float64.
func refContrast(x []float32, n, px, c int, f []float64, lo, hi float64) []float64 {
	out := make([]float64, len(x))
	for i := range n {
		for k := range c {
			var m float64
			for p := range px {
				m += float64(x[(i*px+p)*c+k])
			}
			m /= float64(px)
			for p := range px {
				j := (i*px+p)*c + k
				out[j] = math.Min(math.Max((float64(x[j])-m)*f[i%len(f)]+m, lo), hi)
			}
		}
	}
	return out
}

func TestRandomContrastValues(t *testing.T) {
	rng := tensor.NewRNG(6)
	p := NewPlan(3)
	x := leaf(p, rng, false, 3, 4, 3, 2)
	s := &fixedContrast{f: []float64{0.5, 1.7, 1}}
	y := p.RandomContrast(x, -1, 1.2, s)
	p.Forward(true)
	want := refContrast(x.Value.Data(), 3, 12, 2, s.f, -1, 1.2)
	clipped := 0
	for i, v := range want {
		if math.Abs(float64(y.Value.Data()[i])-v) > 1e-6 {
			t.Fatalf("output %d = %v, want %v", i, y.Value.Data()[i], v)
		}
		if v == -1 || v == 1.2 {
			clipped++
		}
	}
	if clipped == 0 {
		t.Errorf("no value was clipped: the case does not test the clip")
	}
	p.Forward(false)
	if !slices.Equal(y.Value.Data(), x.Value.Data()) {
		t.Errorf("inference changed the images")
	}
	if s.calls != 1 {
		t.Errorf("%d draws for one training step", s.calls)
	}
	ip := NewInferencePlan(3)
	in := ip.Input(4, 3, 2)
	if ip.RandomContrast(in, 0, 255, s) != in || ip.Ops() != 0 {
		t.Errorf("an inference plan got an op")
	}
}

// TestRandomContrastGradients checks the training gradient, clip included,
// against finite differences, with inputs kept 0.05 away from the clip
// bounds so that no difference straddles them.
func TestRandomContrastGradients(t *testing.T) {
	const lo, hi = -1.0, 1.2
	f := []float64{0.6, 1.5}
	rng := tensor.NewRNG(7)
	p := NewPlan(2)
	x := leaf(p, rng, false, 2, 3, 3, 2)
	for {
		z := refContrast(x.Value.Data(), 2, 9, 2, f, math.Inf(-1), math.Inf(1))
		redrawn := false
		for j, v := range z {
			if math.Abs(v-lo) < 0.05 || math.Abs(v-hi) < 0.05 {
				x.Value.Data()[j] = float32(rng.NormFloat64())
				redrawn = true
			}
		}
		if !redrawn {
			break
		}
	}
	loss := p.probe(p.RandomContrast(x, lo, hi, &fixedContrast{f: f}), rng)
	checkGradients(t, forwardLoss(p, loss, true), p.Backward, []*Var{x}, 1e-3, 1e-3)
	checkGradients(t, forwardLoss(p, loss, false), p.Backward, []*Var{x}, 1e-3, 1e-3)
	step := func() { p.Forward(true); p.Backward() }
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Errorf("a training step allocates %v times", a)
	}
}
