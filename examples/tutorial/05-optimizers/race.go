package main

import (
	"fmt"
	"io"
	"math"

	"github.com/goras-ml/goras/tensor"
)

// surface is a loss of two weights (x, y), its gradient, where the race
// starts and the window the picture shows.
type surface struct {
	formula    string
	f          func(x, y float64) float64
	grad       func(x, y float64) (gx, gy float64)
	start      [2]float64
	xlim, ylim [2]float64
}

// longValley is f = x²/20 + y²: twenty times steeper across (y) than along
// (x), the shape that makes plain gradient descent zigzag. Its minimum is
// f(0, 0) = 0.
var longValley = surface{
	formula: "f(x, y) = x²/20 + y²",
	f:       func(x, y float64) float64 { return x*x/20 + y*y },
	grad:    func(x, y float64) (float64, float64) { return x / 10, 2 * y },
	start:   [2]float64{-7, 2},
	xlim:    [2]float64{-8, 8}, ylim: [2]float64{-3, 3},
}

// twoValleys is the studio's race surface: along y = 0 a tilted double
// well, the global minimum near (−1.06, 0), a local one near (0.93, 0) and
// a saddle near (0.13, 0) between them.
var twoValleys = surface{
	formula: "f(x, y) = (x² − 1)² + 0.5·x + 2·y²",
	f:       func(x, y float64) float64 { a := x*x - 1; return a*a + 0.5*x + 2*y*y },
	grad:    func(x, y float64) (float64, float64) { return 4*x*(x*x-1) + 0.5, 4 * y },
	start:   [2]float64{1.8, 1.2},
	xlim:    [2]float64{-2, 2}, ylim: [2]float64{-1.5, 1.5},
}

// path is one optimizer's walk: the weights and the loss before the first
// step and after each; a walk that leaves the float range stops early.
type path struct {
	racer    string
	lr       float64
	xy       [][2]float64
	loss     []float64
	diverged bool
}

// walk runs racer r at rate lr for steps steps on s. The two weights live
// in one tensor and their gradient in another, as a layer's weights do:
// Build once, then at every step write the gradient and Apply.
func walk(s surface, r racer, lr float64, steps int) (path, error) {
	opt, err := r.make(lr)
	if err != nil {
		return path{}, err
	}
	w, g := tensor.New(2), tensor.New(2)
	w.Data()[0], w.Data()[1] = float32(s.start[0]), float32(s.start[1])
	vars, grads := []*tensor.Tensor{w}, []*tensor.Tensor{g}
	if err := opt.Build(vars); err != nil {
		return path{}, err
	}
	p := path{racer: r.name, lr: lr}
	for step := 0; ; step++ {
		x, y := float64(w.Data()[0]), float64(w.Data()[1])
		if math.IsNaN(x+y) || math.Abs(x) > 1e6 || math.Abs(y) > 1e6 {
			p.diverged = true
			return p, nil
		}
		p.xy, p.loss = append(p.xy, [2]float64{x, y}), append(p.loss, s.f(x, y))
		if step == steps {
			return p, nil
		}
		gx, gy := s.grad(x, y)
		g.Data()[0], g.Data()[1] = float32(gx), float32(gy)
		opt.Apply(vars, grads)
	}
}

// meanLoss is the mean loss after each step: low when a walk gets down
// fast and stays down. A walk that diverged scores +Inf.
func (p path) meanLoss() float64 {
	if p.diverged {
		return math.Inf(1)
	}
	var s float64
	for _, l := range p.loss[1:] {
		s += l
	}
	return s / float64(len(p.loss)-1)
}

// firstBelow is the first step after which the loss is below v, or -1.
func (p path) firstBelow(v float64) int {
	for i, l := range p.loss {
		if l < v {
			return i
		}
	}
	return -1
}

// raceValley gives every optimizer every rate of the grid in the long
// valley, keeps for each the walk with the lowest mean loss, and prints
// them.
func raceValley(w io.Writer, steps int) ([]path, error) {
	fmt.Fprintf(w, "\nRace 1: a long, narrow valley, %s, from (%g, %g), %d steps.\n", longValley.formula, longValley.start[0], longValley.start[1], steps)
	fmt.Fprintf(w, "Each optimizer at the learning rate of %v whose walk has the lowest mean loss:\n", grid)
	fmt.Fprintf(w, "%-9s %5s %10s %11s  %15s   %s\n", "optimizer", "lr", "mean loss", "final loss", "steps to < 0.01", "final (x, y)")
	var best []path
	for _, r := range racers {
		var top path
		for _, lr := range grid {
			p, err := walk(longValley, r, lr, steps)
			if err != nil {
				return nil, err
			}
			if top.loss == nil || p.meanLoss() < top.meanLoss() {
				top = p
			}
		}
		first, last := "never", top.xy[len(top.xy)-1]
		if n := top.firstBelow(0.01); n >= 0 {
			first = fmt.Sprint(n)
		}
		fmt.Fprintf(w, "%-9s %5g %10.4f %11.2e  %15s   %s\n", top.racer, top.lr, top.meanLoss(), top.loss[len(top.loss)-1], first, point(last))
		best = append(best, top)
	}
	return best, nil
}

// wellBottoms are the two minima of twoValleys, on y = 0, found by Newton's
// method on ∂f/∂x = 0 in float64.
func wellBottoms() (global, local float64) {
	newton := func(x float64) float64 {
		for range 50 {
			gx, _ := twoValleys.grad(x, 0)
			x -= gx / (12*x*x - 4)
		}
		return x
	}
	return newton(-1), newton(1)
}

// raceWells runs every optimizer at its studio rate on the two-valley
// surface and prints which valley each ends in.
func raceWells(w io.Writer, steps int) ([]path, error) {
	global, local := wellBottoms()
	fmt.Fprintf(w, "\nRace 2: two valleys, %s, from (%g, %g), %d steps, at the rates of the studio's Learn page.\n",
		twoValleys.formula, twoValleys.start[0], twoValleys.start[1], steps)
	fmt.Fprintf(w, "Global minimum f(%.4f, 0) = %.4f, local minimum f(%.4f, 0) = %.4f.\n",
		global, twoValleys.f(global, 0), local, twoValleys.f(local, 0))
	fmt.Fprintf(w, "%-9s %5s %20s %11s   %s\n", "optimizer", "lr", "final (x, y)", "final loss", "ends in")
	var out []path
	for _, r := range racers {
		p, err := walk(twoValleys, r, r.wellsRate, steps)
		if err != nil {
			return nil, err
		}
		last := p.xy[len(p.xy)-1]
		where := "the global minimum"
		if math.Abs(last[0]-local) < math.Abs(last[0]-global) {
			where = "the local minimum"
		}
		if p.diverged {
			where = "nowhere: it diverged"
		}
		fmt.Fprintf(w, "%-9s %5g %20s %11.4f   %s\n", p.racer, p.lr, point(last), p.loss[len(p.loss)-1], where)
		out = append(out, p)
	}
	return out, nil
}

// point formats (x, y) with four decimals, writing a value that rounds to
// zero as 0.0000 rather than -0.0000.
func point(v [2]float64) string {
	for i := range v {
		if math.Abs(v[i]) < 5e-5 {
			v[i] = 0
		}
	}
	return fmt.Sprintf("(%.4f, %.4f)", v[0], v[1])
}
