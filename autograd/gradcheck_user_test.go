package autograd_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// These tests use the package as a user does, from outside: ops written with
// NewVar, Use and AddOp, checked with CheckGradients.

// scaledCube is y = a·x³ with a learned scalar a; wrong selects a backward
// pass with a deliberate mistake in dx (2 instead of 3) or in da (sign).
type scaledCube struct {
	x, y  *autograd.Var
	a     *autograd.Param
	wrong string
}

func addScaledCube(p *autograd.Plan, x *autograd.Var, a *autograd.Param, wrong string) *autograd.Var {
	op := &scaledCube{x: x, a: a, wrong: wrong}
	op.y = p.NewVar(x.Grad != nil || a.Grad != nil, x.Shape()...)
	p.Use(a)
	p.AddOp(op)
	return op.y
}

func (o *scaledCube) Forward(bool) {
	a, y := o.a.Value.Data()[0], o.y.Value.Data()
	for i, v := range o.x.Value.Data() {
		y[i] = a * v * v * v
	}
}

func (o *scaledCube) Backward() {
	if o.y.Grad == nil {
		return
	}
	a, dy := o.a.Value.Data()[0], o.y.Grad.Data()
	k, sign := float32(3), float32(1)
	if o.wrong == "dx" {
		k = 2
	}
	if o.wrong == "da" {
		sign = -1
	}
	var da float32
	for i, v := range o.x.Value.Data() {
		if o.x.Grad != nil {
			o.x.Grad.Data()[i] += k * a * v * v * dy[i]
		}
		da += v * v * v * dy[i]
	}
	if o.a.Grad != nil {
		o.a.Grad.Data()[0] += sign * da
	}
}

func cubeParam(a float32) *autograd.Param {
	w := autograd.NewParam("cube/a", true, 1)
	w.Value.Data()[0] = a
	return w
}

func someInput() *tensor.Tensor {
	t, _ := tensor.FromSlice([]float32{0.5, -1.2, 0.8, 1.5, -0.3, 0.9}, 2, 3)
	return t
}

func TestCheckGradientsPassesACorrectOp(t *testing.T) {
	a := cubeParam(0.7)
	err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
		return addScaledCube(p, in[0], a, "")
	}, autograd.GradCheck{}, someInput())
	if err != nil {
		t.Fatal(err)
	}
	if a.Value.Data()[0] != 0.7 {
		t.Errorf("the check left the parameter at %v, want it restored to 0.7", a.Value.Data()[0])
	}
}

// probeWeights are the weights r with which CheckGradients reduces an
// output of n elements, drawn as its documentation says.
func probeWeights(seed uint64, n int) []float64 {
	rng := tensor.NewRNG(seed)
	r := make([]float64, n)
	for i := range r {
		r[i] = float64(float32(rng.NormFloat64()))
	}
	return r
}

// TestCheckGradientsFailsAWrongBackward: a wrong dx must be reported for
// the input, a wrong da for the parameter (which the check finds through
// Plan.Use), with as many failing elements and the same worst one as the
// formulas give: dLoss/dy = r, so the true dx is 3a·x²·r, the wrong one
// 2a·x²·r, and an element fails when their gap exceeds the tolerance.
func TestCheckGradientsFailsAWrongBackward(t *testing.T) {
	x, a := someInput(), 0.7
	r := probeWeights(0, x.Len())
	bad, worst, worstExcess := 0, 0, 0.0
	for i, v := range x.Data() {
		numeric := 3 * a * float64(v) * float64(v) * r[i]
		gap := math.Abs(numeric / 3)
		if excess := gap / (2e-3 + 2e-2*math.Abs(numeric)); excess > 1 {
			bad++
			if excess > worstExcess {
				worst, worstExcess = i, excess
			}
		}
	}
	if bad == 0 {
		t.Fatal("the test's input makes no element fail; choose another")
	}
	wantDX := fmt.Sprintf("%d of 7 gradient elements differ from the finite differences; worst: input 0 element [%d %d]", bad, worst/3, worst%3)
	for _, c := range []struct{ wrong, want string }{
		{"dx", wantDX},
		{"da", "1 of 7 gradient elements differ from the finite differences; worst: parameter \"cube/a\" element [0]"},
	} {
		err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
			return addScaledCube(p, in[0], cubeParam(float32(a)), c.wrong)
		}, autograd.GradCheck{}, x)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("wrong %s: error %v, want one containing %q", c.wrong, err, c.want)
		}
	}
}

// TestCheckGradientsReportsTheValues holds the analytic and numeric values
// the error names to the formulas, for one element x with dLoss/dy = r:
// numeric 3a·x²·r (plus a·h²·r from the central difference of a cube, and
// float32 rounding), analytic (wrong) 2a·x²·r.
func TestCheckGradientsReportsTheValues(t *testing.T) {
	x, _ := tensor.FromSlice([]float32{1.5}, 1, 1)
	err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
		return addScaledCube(p, in[0], cubeParam(0.5), "dx")
	}, autograd.GradCheck{Seed: 7}, x)
	if err == nil {
		t.Fatal("a wrong backward passed")
	}
	var analytic, numeric float64
	_, serr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "analytic"):], "analytic %g, numeric %g", &analytic, &numeric)
	if serr != nil {
		t.Fatalf("error %q does not name the analytic and numeric values: %v", err, serr)
	}
	r, xv, a, h := probeWeights(7, 1)[0], 1.5, 0.5, 1e-2
	if want := 2 * a * xv * xv * r; math.Abs(analytic-want) > 1e-5*math.Abs(want) {
		t.Errorf("analytic %.7g, want %.7g", analytic, want)
	}
	if want := (3*a*xv*xv + a*h*h) * r; math.Abs(numeric-want) > 1e-4*math.Abs(want) {
		t.Errorf("numeric %.7g, want %.7g", numeric, want)
	}
}

// mae is a user's mean absolute error, |pred - target| averaged.
type mae struct {
	pred, target *autograd.Var
	loss         float64
}

func (o *mae) Forward(bool) {
	var s float64
	t := o.target.Value.Data()
	for i, v := range o.pred.Value.Data() {
		s += math.Abs(float64(v) - float64(t[i]))
	}
	o.loss = s / float64(o.pred.Value.Len())
}

func (o *mae) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	n := float32(o.pred.Value.Len())
	for i, v := range o.pred.Value.Data() {
		switch {
		case v > t[i]:
			g[i] += 1 / n
		case v < t[i]:
			g[i] -= 1 / n
		}
	}
}

func (o *mae) Loss() float64 { return o.loss }

func TestCheckLossGradients(t *testing.T) {
	target, _ := tensor.FromSlice([]float32{0, 0, 1, 2, 0.5, -1}, 2, 3)
	tv := &autograd.Var{Value: target}
	err := autograd.CheckLossGradients(func(p *autograd.Plan, in []*autograd.Var) autograd.LossOp {
		op := &mae{pred: in[0], target: tv}
		p.AddOp(op)
		return op
	}, autograd.GradCheck{}, someInput())
	if err != nil {
		t.Fatal(err)
	}
}

// TestCheckRefusesOpsNotInThePlan: an op never added never runs, and both
// checks must say so rather than compare zeros with zeros.
func TestCheckRefusesOpsNotInThePlan(t *testing.T) {
	err := autograd.CheckLossGradients(func(p *autograd.Plan, in []*autograd.Var) autograd.LossOp {
		return &mae{pred: in[0], target: &autograd.Var{Value: tensor.New(2, 3)}}
	}, autograd.GradCheck{}, someInput())
	if err == nil || !strings.Contains(err.Error(), "not in the plan") || !strings.Contains(err.Error(), "p.AddOp(op)") {
		t.Errorf("loss outside the plan: error %v, want one saying it is not in the plan and to call p.AddOp", err)
	}
	err = autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
		return p.NewVar(true, in[0].Shape()...) // the op that should fill it was never added
	}, autograd.GradCheck{}, someInput())
	if err == nil || !strings.Contains(err.Error(), "added no op") {
		t.Errorf("op outside the plan: error %v, want one saying build added no op", err)
	}
}

func TestNewVarAddOpContains(t *testing.T) {
	p := autograd.NewPlan(2)
	x := p.NewVar(true, 2, 3)
	if x.Grad == nil || x.Value.Len() != 6 {
		t.Fatalf("NewVar(true, 2, 3): value of %d elements, grad %v; want 6 and a gradient", x.Value.Len(), x.Grad)
	}
	a := cubeParam(2)
	y := addScaledCube(p, x, a, "")
	copy(x.Value.Data(), []float32{1, 2, 3, 4, 5, 6})
	// Plan.Backward must zero y's and a's gradients, made by NewVar and Use:
	// fill them with garbage first.
	y.Grad.CopyFrom(tensor.Full(100, 2, 3))
	a.Grad.Data()[0] = 100
	loss := &mae{pred: y, target: &autograd.Var{Value: tensor.New(2, 3)}}
	if p.Contains(loss) {
		t.Error("Contains reports a loss that was never added")
	}
	p.AddOp(loss)
	if !p.Contains(loss) || p.Ops() != 2 {
		t.Errorf("after AddOp: Contains %v, %d ops; want true, 2", p.Contains(loss), p.Ops())
	}
	p.Forward(true)
	p.Backward()
	// loss = mean(2x³) = (2/6)·Σx³ = 147; dL/da = Σx³/6 = 73.5; dL/dx = 3·2·x²/6 = x².
	close := func(got float32, want float64) bool { return math.Abs(float64(got)-want) < 1e-5*want }
	if loss.Loss() != 147 || !close(a.Grad.Data()[0], 73.5) || !close(x.Grad.Data()[5], 36) {
		t.Errorf("loss %v, da %v, dx[5] %v; want 147, 73.5, 36", loss.Loss(), a.Grad.Data()[0], x.Grad.Data()[5])
	}
	if allocs := testing.AllocsPerRun(10, func() { p.Forward(true); p.Backward() }); allocs != 0 {
		t.Errorf("a training step with user ops allocates %v times, want 0", allocs)
	}
	inf := autograd.NewInferencePlan(2)
	if v := inf.NewVar(true, 2, 3); v.Grad != nil {
		t.Error("NewVar on an inference plan made a gradient buffer")
	}
}

func TestAddOpPanicsOnTwice(t *testing.T) {
	p := autograd.NewPlan(1)
	op := &mae{}
	p.AddOp(op)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "already in the plan") {
			t.Errorf("adding an op twice: panic %v, want one saying it is already in the plan", r)
		}
	}()
	p.AddOp(op)
}

// cube is y = x³, the op of the package documentation.
type cube struct{ x, y *autograd.Var }

func Cube(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	op := &cube{x: x}
	op.y = p.NewVar(x.Grad != nil, x.Shape()...)
	p.AddOp(op)
	return op.y
}

func (o *cube) Forward(training bool) {
	y := o.y.Value.Data()
	for i, v := range o.x.Value.Data() {
		y[i] = v * v * v
	}
}

func (o *cube) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	for i, v := range o.x.Value.Data() {
		dx[i] += 3 * v * v * dy[i]
	}
}

// ExampleCheckGradients checks the op that the package documentation
// writes, y = x³, on a batch of two rows.
func ExampleCheckGradients() {
	x, _ := tensor.FromSlice([]float32{0.5, -1, 2, 1.5}, 2, 2)
	err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
		return Cube(p, in[0])
	}, autograd.GradCheck{}, x)
	fmt.Println("cube:", err)
	// Output: cube: <nil>
}
