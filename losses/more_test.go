package losses

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// value runs loss l through a plan on pred and target (rows×n).
func value(t *testing.T, l Loss, pred, target []float64, rows int) float64 {
	t.Helper()
	n := len(pred) / rows
	if err := l.CheckTarget([]int{n}, []int{n}); err != nil {
		t.Fatalf("%s: %v", l.Name(), err)
	}
	p := autograd.NewPlan(rows)
	x := p.Input(n)
	y := &autograd.Var{Value: tensor.New(rows, n)}
	for i := range pred {
		x.Value.Data()[i] = float32(pred[i])
		y.Value.Data()[i] = float32(target[i])
	}
	op := l.Build(p, x, y)
	p.Forward(false)
	return op.Loss()
}

// TestKerasDocExamples checks the numbers Keras's own docstrings give
// (keras/src/losses/losses.py), to the digits they print.
func TestKerasDocExamples(t *testing.T) {
	bfce := func(gamma float64, balance bool) Loss {
		l := NewBinaryFocalCrossentropy()
		l.Gamma, l.ApplyClassBalancing, l.FromLogits = gamma, balance, true
		return l
	}
	logits := []float64{-18.6, 0.51, 2.94, -12.8}
	for _, c := range []struct {
		name         string
		loss         Loss
		pred, target []float64
		rows         int
		want, tol    float64
	}{
		{"MeanAbsoluteError", MeanAbsoluteError{}, []float64{1.9, 0.3, 1.8}, []float64{1, 0.3, 1}, 1, 0.5666667, 1e-6},
		{"MeanAbsolutePercentageError", MeanAbsolutePercentageError{}, []float64{90, 210, 310}, []float64{100, 200, 300}, 1, 6.111111, 1e-5},
		{"huber", Huber{}, []float64{0.6, 0.4, 0.4, 0.6}, []float64{0, 1, 0, 0}, 2, 0.155, 5e-4},
		{"log_cosh", LogCosh{}, []float64{1, 1, 0, 0}, []float64{0, 1, 0, 0}, 2, 0.108, 5e-4},
		{"CategoricalFocalCrossentropy", NewCategoricalFocalCrossentropy(), []float64{0.05, 0.95, 0, 0.1, 0.8, 0.1}, []float64{0, 1, 0, 0, 0, 1}, 2, 0.23315276, 1e-6},
		{"binary_focal_crossentropy gamma 2", bfce(2, false), logits, []float64{0, 1, 0, 0}, 1, 0.691, 5e-4},
		{"... with class balancing", bfce(2, true), logits, []float64{0, 1, 0, 0}, 1, 0.51, 5e-3},
		{"... gamma 3, batch of 2", bfce(3, false), logits, []float64{0, 1, 0, 0}, 2, 0.647, 5e-4},
		{"... gamma 3, balanced", bfce(3, true), logits, []float64{0, 1, 0, 0}, 2, 0.482, 5e-4},
	} {
		if got := value(t, c.loss, c.pred, c.target, c.rows); math.Abs(got-c.want) > c.tol {
			t.Errorf("%s = %.7f, Keras's docs say %g", c.name, got, c.want)
		}
	}
	// binary_focal_crossentropy on probabilities, per sample [0.330, 0.206]:
	// each row alone.
	for i, want := range []float64{0.330, 0.206} {
		pred, target := [][]float64{{0.6, 0.4}, {0.4, 0.6}}[i], [][]float64{{0, 1}, {0, 0}}[i]
		if got := value(t, NewBinaryFocalCrossentropy(), pred, target, 1); math.Abs(got-want) > 5e-4 {
			t.Errorf("binary focal, sample %d = %.5f, Keras's docs say %g", i, got, want)
		}
	}
}

// reference computes a loss in float64 from Keras's formulas, as written in
// keras/src/losses/losses.py: a per-sample value over the last axis, then
// the mean over samples.
func reference(name string, p, y []float64, rows int) float64 {
	n := len(p) / rows
	const eps = 1e-7
	clip := func(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }
	binary := true
	for _, v := range y {
		binary = binary && (v == 0 || v == 1)
	}
	var total float64
	for r := range rows {
		pr, yr := p[r*n:(r+1)*n], y[r*n:(r+1)*n]
		var s float64
		switch name {
		case "categorical_hinge":
			pos, neg := 0.0, math.Inf(-1)
			for j := range pr {
				pos += yr[j] * pr[j]
				neg = math.Max(neg, (1-yr[j])*pr[j])
			}
			total += math.Max(neg-pos+1, 0)
			continue
		case "kl_divergence":
			for j := range pr {
				yt, pt := clip(yr[j], eps, 1), clip(pr[j], eps, 1)
				s += yt * math.Log(yt/pt)
			}
			total += s
			continue
		}
		for j := range pr {
			e := pr[j] - yr[j]
			yh := yr[j]
			if binary {
				yh = 2*yr[j] - 1
			}
			switch name {
			case "mean_absolute_error":
				s += math.Abs(e)
			case "mean_absolute_percentage_error":
				s += 100 * math.Abs(e/math.Max(math.Abs(yr[j]), eps))
			case "huber":
				if math.Abs(e) <= 1 {
					s += 0.5 * e * e
				} else {
					s += math.Abs(e) - 0.5
				}
			case "log_cosh":
				s += math.Log(math.Cosh(e))
			case "poisson":
				s += pr[j] - yr[j]*math.Log(pr[j]+eps)
			case "hinge":
				s += math.Max(1-yh*pr[j], 0)
			case "squared_hinge":
				s += math.Pow(math.Max(1-yh*pr[j], 0), 2)
			}
		}
		total += s / float64(n)
	}
	return total / float64(rows)
}

// TestAgainstKerasFormulas compares every loss with the float64 reference
// on random data, 4 samples of 5 values.
func TestAgainstKerasFormulas(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const rows, n = 4, 5
	gen := func(f func() float64) []float64 {
		out := make([]float64, rows*n)
		for i := range out {
			out[i] = float64(float32(f())) // the values the float32 plan sees
		}
		return out
	}
	norm := func() float64 { return 2 * rng.NormFloat64() }
	pos := func() float64 { return 0.01 + rng.Float64() }
	oneHot := make([]float64, rows*n)
	for r := range rows {
		oneHot[r*n+rng.IntN(n)] = 1
	}
	sign := func() float64 { return float64(2*rng.IntN(2) - 1) }
	for _, c := range []struct {
		loss   Loss
		p, y   []float64
		relTol float64
	}{
		{MeanAbsoluteError{}, gen(norm), gen(norm), 1e-6},
		{MeanAbsolutePercentageError{}, gen(norm), gen(norm), 1e-6},
		{Huber{}, gen(norm), gen(norm), 1e-6},
		{LogCosh{}, gen(norm), gen(norm), 1e-6},
		{KLDivergence{}, gen(pos), gen(pos), 1e-6},
		{Poisson{}, gen(pos), gen(func() float64 { return float64(rng.IntN(5)) }), 1e-6},
		{Hinge{}, gen(norm), gen(sign), 1e-6},
		{Hinge{}, gen(norm), oneHot, 1e-6}, // 0/1 labels become -1/1
		{SquaredHinge{}, gen(norm), gen(sign), 1e-6},
		{CategoricalHinge{}, gen(norm), oneHot, 1e-6},
	} {
		want := reference(c.loss.Name(), c.p, c.y, rows)
		if got := value(t, c.loss, c.p, c.y, rows); math.Abs(got-want) > c.relTol*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.9g, Keras's formula gives %.9g", c.loss.Name(), got, want)
		}
	}
}

// TestNewLossesConfigRoundTrip sends each loss through its config as JSON
// and back: same config, same value.
func TestNewLossesConfigRoundTrip(t *testing.T) {
	cf := NewCategoricalFocalCrossentropy()
	cf.Alpha, cf.LabelSmoothing, cf.FromLogits = []float64{0.1, 0.2, 0.3}, 0.1, true
	bf := NewBinaryFocalCrossentropy()
	bf.ApplyClassBalancing, bf.Gamma = true, 3
	pred, target := []float64{0.2, 0.5, 0.3, 0.6, 0.1, 0.3}, []float64{0, 1, 0, 1, 0, 0}
	for _, l := range []Loss{MeanAbsoluteError{}, MeanAbsolutePercentageError{}, Huber{Delta: 0.5}, LogCosh{},
		KLDivergence{}, Poisson{}, Hinge{}, SquaredHinge{}, CategoricalHinge{}, cf, NewCategoricalFocalCrossentropy(), bf} {
		b, err := json.Marshal(l.Config())
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		json.Unmarshal(b, &cfg)
		back, err := FromConfig(l.Name(), cfg)
		if err != nil {
			t.Errorf("%s: %v", l.Name(), err)
			continue
		}
		if !reflect.DeepEqual(back.Config(), l.Config()) || value(t, back, pred, target, 2) != value(t, l, pred, target, 2) {
			t.Errorf("%s: config %v came back as %v", l.Name(), l.Config(), back.Config())
		}
	}
	if h, _ := Get("huber"); h.Config()["delta"] != 1.0 {
		t.Errorf("huber's default delta: %v", h.Config())
	}
	if f, _ := Get("categorical_focal_crossentropy"); !reflect.DeepEqual(f.Config(), map[string]any{"alpha": 0.25, "gamma": 2.0, "from_logits": false, "label_smoothing": 0.0}) {
		t.Errorf("categorical focal defaults: %v", f.Config())
	}
}

func TestNewLossesNamesAndErrors(t *testing.T) {
	for alias, name := range map[string]string{"mae": "mean_absolute_error", "MAPE": "mean_absolute_percentage_error",
		"kld": "kl_divergence", "Huber": "huber", "squared_hinge": "squared_hinge", "binary_focal_crossentropy": "binary_focal_crossentropy"} {
		if l, err := Get(alias); err != nil || l.Name() != name {
			t.Errorf("Get(%q) = %v, %v; want %s", alias, l, err, name)
		}
	}
	for _, c := range []struct {
		loss         Loss
		pred, target []int
		want         string
	}{
		{MeanAbsoluteError{}, []int{3}, []int{2}, "mean_absolute_error needs targets shaped like the model output"},
		{Poisson{}, []int{1}, []int{}, ""},
		{CategoricalHinge{}, []int{10}, []int{}, "one-hot encode them"},
		{CategoricalFocalCrossentropy{}, []int{10}, []int{10}, "start from losses.NewCategoricalFocalCrossentropy()"},
		{CategoricalFocalCrossentropy{Alpha: []float64{1, 2}}, []int{3}, []int{3}, "Alpha has 2 weights for an output of 3 classes"},
		{BinaryFocalCrossentropy{}, []int{1}, []int{1}, "start from losses.NewBinaryFocalCrossentropy()"},
		{NewBinaryFocalCrossentropy(), []int{10}, []int{}, "use categorical_focal_crossentropy"},
		{Huber{Delta: -1}, []int{1}, []int{1}, "delta must be a finite number > 0"},
	} {
		err := c.loss.CheckTarget(c.pred, c.target)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%T%v with %v→%v: error %v, want %q", c.loss, c.loss, c.pred, c.target, err, c.want)
		}
	}
	if _, err := FromConfig("huber", map[string]any{"delta": 0.0}); err == nil {
		t.Error("huber with delta 0 accepted")
	}
	if _, err := FromConfig("categorical_focal_crossentropy", map[string]any{"alpha": "x"}); err == nil || !strings.Contains(err.Error(), "number or a list") {
		t.Errorf("bad alpha: %v", err)
	}
}
