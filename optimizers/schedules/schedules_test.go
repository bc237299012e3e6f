package schedules

import (
	"math"
	"strings"
	"testing"
)

type point struct {
	step int64
	want float64
}

func check(t *testing.T, name string, s Schedule, pts []point) {
	t.Helper()
	for _, p := range pts {
		if got := s.At(p.step); math.Abs(got-p.want) > 1e-12*math.Max(1, math.Abs(p.want)) {
			t.Errorf("%s.At(%d) = %.12g, want %.12g", name, p.step, got, p.want)
		}
	}
}

func TestExponentialDecay(t *testing.T) {
	s, err := NewExponentialDecay(0.1, 10, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// 0.1 * 0.5^(step/10)
	check(t, "continuous", s, []point{
		{0, 0.1},
		{5, 0.0707106781186548},  // 0.1 * 0.5^0.5
		{10, 0.05},               // 0.1 * 0.5
		{25, 0.0176776695296637}, // 0.1 * 0.5^2.5
	})
	st, _ := NewExponentialDecay(0.1, 10, 0.5, Staircase(true))
	// 0.1 * 0.5^floor(step/10)
	check(t, "staircase", st, []point{{0, 0.1}, {5, 0.1}, {9, 0.1}, {10, 0.05}, {25, 0.025}})
	c := st.Config()
	if c["initial_learning_rate"] != 0.1 || c["decay_steps"] != int64(10) || c["decay_rate"] != 0.5 || c["staircase"] != true || c["name"] != "ExponentialDecay" {
		t.Errorf("Config = %v", c)
	}
	if st.Name() != "ExponentialDecay" {
		t.Errorf("Name = %q", st.Name())
	}
}

func TestPiecewiseConstantDecay(t *testing.T) {
	b := []int64{10, 20}
	v := []float64{1, 0.5, 0.1}
	s, err := NewPiecewiseConstantDecay(b, v)
	if err != nil {
		t.Fatal(err)
	}
	b[0], v[0] = 99, 99 // the schedule keeps its own copies
	// values[0] for step <= 10, values[1] for 10 < step <= 20, values[2] after.
	check(t, "piecewise", s, []point{{0, 1}, {10, 1}, {11, 0.5}, {20, 0.5}, {21, 0.1}, {1000, 0.1}})
	c := s.Config()
	if c["name"] != "PiecewiseConstant" || len(c["boundaries"].([]int64)) != 2 || c["values"].([]float64)[2] != 0.1 {
		t.Errorf("Config = %v", c)
	}
}

func TestCosineDecay(t *testing.T) {
	s, err := NewCosineDecay(1, 100)
	if err != nil {
		t.Fatal(err)
	}
	// 0.5 * (1 + cos(pi * min(step,100)/100))
	check(t, "plain", s, []point{
		{0, 1},
		{25, 0.853553390593274}, // 0.5*(1+cos(pi/4))
		{50, 0.5},
		{100, 0},
		{200, 0},
	})
	a, _ := NewCosineDecay(1, 100, Alpha(0.1))
	// (1-0.1)*cosine + 0.1
	check(t, "alpha", a, []point{{0, 1}, {50, 0.55}, {100, 0.1}, {150, 0.1}})
	w, _ := NewCosineDecay(0, 100, WarmupTarget(2), WarmupSteps(10))
	// linear 0 -> 2 over 10 steps, then 2*0.5*(1+cos(pi*(step-10)/100))
	check(t, "warmup", w, []point{
		{0, 0},
		{5, 1},
		{10, 2},
		{35, 1.70710678118655}, // 2*0.853553390593274
		{60, 1},
		{110, 0},
		{500, 0},
	})
	// Keras ignores WarmupSteps without a WarmupTarget.
	n, _ := NewCosineDecay(1, 100, WarmupSteps(10))
	check(t, "no target", n, []point{{0, 1}, {50, 0.5}})
	if c := n.Config(); c["warmup_target"] != nil || c["warmup_steps"] != int64(10) || c["alpha"] != 0.0 || c["name"] != "CosineDecay" {
		t.Errorf("Config = %v", c)
	}
	if c := w.Config(); c["warmup_target"] != 2.0 {
		t.Errorf("Config = %v", c)
	}
}

func TestInvalid(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"exp decay steps", second(NewExponentialDecay(0.1, 0, 0.5)), "decay_steps"},
		{"exp decay rate", second(NewExponentialDecay(0.1, 5, 0)), "decay_rate"},
		{"exp negative lr", second(NewExponentialDecay(-1, 5, 0.5)), "initial_learning_rate"},
		{"piecewise lengths", second(NewPiecewiseConstantDecay([]int64{1}, []float64{1})), "one more value"},
		{"piecewise order", second(NewPiecewiseConstantDecay([]int64{5, 5}, []float64{1, 2, 3})), "strictly increasing"},
		{"piecewise NaN", second(NewPiecewiseConstantDecay([]int64{5}, []float64{1, math.NaN()})), "finite"},
		{"cosine steps", second(NewCosineDecay(1, 0)), "decay_steps"},
		{"cosine alpha", second(NewCosineDecay(1, 10, Alpha(2))), "alpha"},
		{"cosine warmup steps", second(NewCosineDecay(1, 10, WarmupSteps(-1))), "warmup_steps"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestAtDoesNotAllocate(t *testing.T) {
	e, _ := NewExponentialDecay(0.1, 10, 0.5)
	p, _ := NewPiecewiseConstantDecay([]int64{10}, []float64{1, 2})
	c, _ := NewCosineDecay(1, 10, WarmupTarget(2), WarmupSteps(3))
	for _, s := range []Schedule{e, p, c} {
		var sink float64
		if n := testing.AllocsPerRun(10, func() { sink += s.At(7) }); n != 0 {
			t.Errorf("%s.At allocates %v times", s.Name(), n)
		}
	}
}

// An explicit zero is a value, not "the default": WarmupTarget(0) warms up
// from 1 down to 0 over 10 steps and stays there, and its config says 0,
// not Keras's None.
func TestWarmupTargetZero(t *testing.T) {
	s, err := NewCosineDecay(1, 100, WarmupTarget(0), WarmupSteps(10))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "warm-up to 0", s, []point{{0, 1}, {5, 0.5}, {10, 0}, {60, 0}})
	if c := s.Config(); c["warmup_target"] != 0.0 {
		t.Errorf("warmup_target = %#v, want 0.0", c["warmup_target"])
	}
}

func TestOptionNotTaken(t *testing.T) {
	_, err := NewExponentialDecay(0.1, 10, 0.5, Alpha(0.1))
	if err == nil || !strings.Contains(err.Error(), "ExponentialDecay does not take the option Alpha (it takes the options Staircase)") {
		t.Errorf("error %v, want one naming Alpha and Staircase", err)
	}
	_, err = NewCosineDecay(0.1, 10, Staircase(true))
	if err == nil || !strings.Contains(err.Error(), "Alpha, WarmupTarget, WarmupSteps") {
		t.Errorf("error %v, want one listing CosineDecay's options", err)
	}
}
