package studio

import (
	"math"
	"net/http"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/saving"
)

func TestSurfaceHasSaddleAndTwoMinima(t *testing.T) {
	// Newton on f' along y = 0 from each side, then the second derivative
	// tells a minimum from the saddle.
	root := func(x float64) float64 {
		for range 50 {
			g, _ := surfaceGrad(x, 0)
			x -= g / (12*x*x - 4)
		}
		return x
	}
	for _, c := range []struct {
		from, at float64
		minimum  bool
	}{{-1.2, -1.0574, true}, {1.1, 0.9304, true}, {0.1, 0.1270, false}} {
		x := root(c.from)
		if math.Abs(x-c.at) > 1e-3 || (12*x*x-4 > 0) != c.minimum {
			t.Errorf("stationary point from %v: x = %v (f'' = %v), want %v, minimum %v", c.from, x, 12*x*x-4, c.at, c.minimum)
		}
	}
	// f's gradient against central differences.
	for _, p := range [][2]float64{{0.3, -0.7}, {-1.4, 1.1}} {
		gx, gy := surfaceGrad(p[0], p[1])
		h := 1e-6
		nx := (surface(p[0]+h, p[1]) - surface(p[0]-h, p[1])) / (2 * h)
		ny := (surface(p[0], p[1]+h) - surface(p[0], p[1]-h)) / (2 * h)
		if math.Abs(gx-nx) > 1e-6 || math.Abs(gy-ny) > 1e-6 {
			t.Errorf("gradient at %v: (%v, %v), finite differences (%v, %v)", p, gx, gy, nx, ny)
		}
	}
}

func TestRace(t *testing.T) {
	lrs := map[string]float64{"sgd": 0.01, "momentum": 0.01, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.02}
	paths, err := race(1.8, 1.2, 300, lrs)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]racePath{}
	for _, p := range paths {
		byName[p.Name] = p
	}
	// SGD's first step by hand: w − lr·∇f, in float32 as the optimizer.
	gx, gy := surfaceGrad(1.8, 1.2)
	p1 := byName["SGD"].Points[1]
	if want := float32(float32(1.8) - float32(0.01)*float32(gx)); p1[0] != want {
		t.Errorf("SGD step 1 x = %v, want %v", p1[0], want)
	}
	if want := float32(float32(1.2) - float32(0.01)*float32(gy)); p1[1] != want {
		t.Errorf("SGD step 1 y = %v, want %v", p1[1], want)
	}
	// Adam's first step is lr in each coordinate (m̂/√v̂ = ±1, up to ε).
	a1 := byName["Adam"].Points[1]
	if math.Abs(float64(a1[0])-(1.8-0.02)) > 1e-5 || math.Abs(float64(a1[1])-(1.2-0.02)) > 1e-5 {
		t.Errorf("Adam step 1 = %v, want (1.78, 1.18)", a1)
	}
	// From (1.8, 1.2) plain SGD settles in the local minimum; momentum
	// carries over the ridge into the global one.
	if f := byName["SGD"].Final; math.Abs(f-0.4834) > 1e-3 {
		t.Errorf("SGD ends at f = %v, want the local minimum 0.4834", f)
	}
	if f := byName["Momentum"].Final; math.Abs(f-(-0.5152)) > 1e-3 {
		t.Errorf("Momentum ends at f = %v, want the global minimum -0.5152", f)
	}
	if len(byName["SGD"].Points) != 301 {
		t.Errorf("SGD path has %d points, want 301", len(byName["SGD"].Points))
	}
	paths, _ = race(1.8, 1.2, 50, map[string]float64{"sgd": 5, "momentum": 0.01, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.02})
	if !paths[0].Diverged {
		t.Errorf("SGD with learning rate 5 did not diverge: %v", paths[0].Points[len(paths[0].Points)-1])
	}
}

func TestDescend(t *testing.T) {
	// On L(w) = (w − 2)², w ← w − lr·2(w − 2): the distance to 2 shrinks
	// by |1 − 2·lr| each step.
	loss := func(w float64) (float64, error) { return (w - 2) * (w - 2), nil }
	steps, diverged, err := descend(loss, 0, 0.25, 1e-4, 3, 2, 1)
	if err != nil || diverged || len(steps) != 4 {
		t.Fatalf("%v %v %v", steps, diverged, err)
	}
	for i, want := range []float64{0, 1, 1.5, 1.75} {
		if math.Abs(float64(steps[i].W)-want) > 1e-9 {
			t.Errorf("step %d: w = %v, want %v", i, steps[i].W, want)
		}
	}
	if math.Abs(float64(steps[0].Slope)-(-4)) > 1e-6 {
		t.Errorf("slope at 0 = %v, want -4", steps[0].Slope)
	}
	_, diverged, _ = descend(loss, 0, 1.5, 1e-4, 50, 2, 1)
	if !diverged {
		t.Errorf("lr 1.5 (factor −2 a step) did not diverge")
	}
}

func TestLearnDescentEndpoint(t *testing.T) {
	ts := newTestServer(t, Options{})
	m, path := saveNetwork(t, ts.dir, "mlp", "m.safetensors")
	var params struct {
		Params []paramJSON `json:"params"`
	}
	ts.getJSON(t, "/api/learn/params?model=m", &params)
	if len(params.Params) != 4 || params.Params[2].Name != "dense_1/kernel" || params.Params[2].Size != 500 {
		t.Fatalf("params: %+v", params.Params)
	}
	var res struct {
		Trained float64                  `json:"trained"`
		Curve   [][2]float64             `json:"curve"`
		Steps   []struct{ W, L float64 } `json:"steps"`
	}
	ts.getJSON(t, "/api/learn/descent?model=m&param=dense_1/kernel&index=7&lr=0.5&steps=4&samples=50&span=2", &res)
	trained := float64(m.Params()[2].Value.Data()[7])
	if res.Trained != trained || len(res.Curve) != curvePoints || len(res.Steps) != 5 {
		t.Fatalf("trained %v (want %v), %d curve points, %d steps", res.Trained, trained, len(res.Curve), len(res.Steps))
	}
	// The curve's middle point is the model as saved: Evaluate's loss on
	// the first 50 test images.
	test := subset(fakeDigits(100, 2), 50)
	fresh, _ := saving.Load(path)
	x, y, _ := prepare(test, fresh, fresh.Loss())
	logs, err := fresh.Evaluate(x, y, goras.BatchSize(50), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	mid := res.Curve[curvePoints/2]
	if math.Abs(mid[0]-trained) > 1e-6 || math.Abs(mid[1]-logs["loss"]) > 1e-6 {
		t.Errorf("curve middle %v, want (%v, %v)", mid, trained, logs["loss"])
	}
	if res.Curve[0][0] != trained-2 {
		t.Errorf("curve starts at %v, want trained−span %v", res.Curve[0][0], trained-2)
	}
	for _, c := range []struct{ q, says string }{
		{"param=nosuch", "has no weight"},
		{"param=dense_1/kernel&index=500", "index must be from 0 to 499"},
		{"param=dense_1/kernel&lr=-1", "lr must be"},
	} {
		code, b := ts.do(t, "GET", "/api/learn/descent?model=m&"+c.q, nil)
		wantError(t, c.q, code, b, http.StatusBadRequest, c.says)
	}
}
