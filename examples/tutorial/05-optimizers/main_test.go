package main

import (
	"bytes"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras/examples/tutorial/internal/pagetest"
)

// kerasStep is one step of each optimizer's update rule as Keras writes it,
// in float64, on one weight with its own state (v for momentum, the
// accumulator, the moving averages): the reference goras's optimizers are
// held to.
type kerasStep func(w, g float64, t int) float64

func kerasRules(lr float64) map[string]kerasStep {
	var v float64
	acc := 0.1 // Adagrad's initial_accumulator_value
	var ms, m, s float64
	return map[string]kerasStep{
		"SGD": func(w, g float64, _ int) float64 { return w - lr*g },
		"Momentum": func(w, g float64, _ int) float64 {
			v = 0.9*v - lr*g
			return w + v
		},
		"AdaGrad": func(w, g float64, _ int) float64 {
			acc += g * g
			return w - lr*g/math.Sqrt(acc+1e-7)
		},
		"RMSprop": func(w, g float64, _ int) float64 {
			ms = 0.9*ms + 0.1*g*g
			return w - lr*g/math.Sqrt(ms+1e-7)
		},
		"Adam": func(w, g float64, t int) float64 {
			m = 0.9*m + 0.1*g
			s = 0.999*s + 0.001*g*g
			alpha := lr * math.Sqrt(1-math.Pow(0.999, float64(t))) / (1 - math.Pow(0.9, float64(t)))
			return w - alpha*m/(math.Sqrt(s)+1e-7)
		},
	}
}

// TestUpdateRulesAreKeras: five steps of each of goras's optimizers in the
// long valley, from the race's start, equal the Keras rules computed in
// float64 weight by weight.
func TestUpdateRulesAreKeras(t *testing.T) {
	const lr, steps = 0.3, 5
	for _, r := range racers {
		p, err := walk(longValley, r, lr, steps)
		if err != nil {
			t.Fatal(err)
		}
		rx, ry := kerasRules(lr)[r.name], kerasRules(lr)[r.name] // one state per weight
		x, y := longValley.start[0], longValley.start[1]
		for step := 1; step <= steps; step++ {
			gx, gy := longValley.grad(x, y)
			x, y = rx(x, gx, step), ry(y, gy, step)
			got := p.xy[step]
			if math.Abs(got[0]-x) > 1e-5*math.Max(1, math.Abs(x)) || math.Abs(got[1]-y) > 1e-5*math.Max(1, math.Abs(y)) {
				t.Fatalf("%s step %d: goras (%.7f, %.7f), Keras's rule (%.7f, %.7f)", r.name, step, got[0], got[1], x, y)
			}
		}
	}
}

// TestValleyRace: in the long valley SGD's best rate is 0.5, which clears
// the steep direction in one step (y's factor 1 − 0.5·2 = 0) and then
// crawls along the flat one (x's factor 1 − 0.5/10 = 0.95, so x = −7·0.95⁴⁰
// after 40 steps); Adam, at its own best rate, ends lower on both counts.
func TestValleyRace(t *testing.T) {
	paths, err := raceValley(io.Discard, 40)
	if err != nil {
		t.Fatal(err)
	}
	sgd, adam := paths[0], paths[4]
	if sgd.lr != 0.5 {
		t.Errorf("SGD's best rate is %v, want 0.5", sgd.lr)
	}
	if end := sgd.xy[40]; math.Abs(end[0]+7*math.Pow(0.95, 40)) > 1e-4 || end[1] != 0 {
		t.Errorf("SGD ends at %v, want (%.4f, 0)", end, -7*math.Pow(0.95, 40))
	}
	if adam.meanLoss() >= sgd.meanLoss() || adam.loss[40] >= sgd.loss[40] {
		t.Errorf("Adam (mean %.4f, final %.3g) does not beat SGD (mean %.4f, final %.3g)", adam.meanLoss(), adam.loss[40], sgd.meanLoss(), sgd.loss[40])
	}
	for _, p := range paths {
		if math.IsInf(p.meanLoss(), 0) || p.loss[40] > p.loss[0] {
			t.Errorf("%s at its best rate %v ends at loss %.3g, above its start", p.racer, p.lr, p.loss[40])
		}
	}
}

// TestWellsRace: at the studio's rates, momentum carries over the saddle
// into the global minimum; plain SGD stops in the local one.
func TestWellsRace(t *testing.T) {
	paths, err := raceWells(io.Discard, 300)
	if err != nil {
		t.Fatal(err)
	}
	global, local := wellBottoms()
	for _, c := range []struct {
		i    int
		want float64
	}{{0, local}, {1, global}} {
		end := paths[c.i].xy[len(paths[c.i].xy)-1]
		if math.Abs(end[0]-c.want) > 0.01 || math.Abs(end[1]) > 0.01 {
			t.Errorf("%s ends at %v, want (%.4f, 0)", paths[c.i].racer, end, c.want)
		}
	}
}

// TestRun runs both races briefly, pictures going to a temporary
// directory, and checks the pictures' sizes (panels of 4 × 2.9 inches at
// 96 dpi: 3 × 2 of them, and 2 × 1) and that bad flags are refused.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(&out, options{Out: dir, Steps: 10, WellSteps: 50}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Momentum  v ← 0.9·v − η·g;  w ← w + v") {
		t.Errorf("the rules are missing:\n%s", out.String())
	}
	for name, size := range map[string][2]int{"05-race-valley.png": {1152, 557}, "05-race-wells.png": {768, 278}} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != size[0] || b.Dy() < size[1]-1 || b.Dy() > size[1] {
			t.Errorf("%s is %v, want %d×%d", name, b.Size(), size[0], size[1])
		}
	}
	if err := run(&out, options{Out: dir, Steps: 0, WellSteps: 5}); err == nil || !strings.Contains(err.Error(), "-steps 0") {
		t.Errorf("0 steps: error %v, want one naming -steps 0", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
