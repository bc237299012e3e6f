package optimizers

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// spec describes one optimizer configuration; the same spec builds the
// optimizer under test and its float64 reference. A zero field is an
// option not given (Keras's default), except where a zeroX flag says the
// zero is given explicitly.
type spec struct {
	name     string
	kind     string // sgd, adam, adamw, rmsprop, adagrad, nadam, adamax
	lr       float64
	momentum float64
	nesterov bool
	amsgrad  bool
	centered bool
	wd       float64
	clipnorm float64
	clipval  float64
	gclip    float64
	sched    schedules.Schedule
	// Explicit values of the other hyper-parameters (given when set).
	beta1, beta2, rho, eps, init optional
	zeroLR, zeroWD               bool // LearningRate(0), WeightDecay(0) given
}

type optional struct {
	v   float64
	set bool
}

func give(v float64) optional { return optional{v, true} }

// options turns the spec into the options of its optimizer.
func (s spec) options() []Option {
	var o []Option
	add := func(cond bool, opt Option) {
		if cond {
			o = append(o, opt)
		}
	}
	add(s.lr != 0 || s.zeroLR, LearningRate(s.lr))
	add(s.momentum != 0, Momentum(s.momentum))
	add(s.nesterov, Nesterov(true))
	add(s.amsgrad, Amsgrad(true))
	add(s.centered, Centered(true))
	add(s.wd != 0 || s.zeroWD, WeightDecay(s.wd))
	add(s.clipnorm != 0, Clipnorm(s.clipnorm))
	add(s.clipval != 0, Clipvalue(s.clipval))
	add(s.gclip != 0, GlobalClipnorm(s.gclip))
	add(s.sched != nil, Schedule(s.sched))
	add(s.beta1.set, Beta1(s.beta1.v))
	add(s.beta2.set, Beta2(s.beta2.v))
	add(s.rho.set, Rho(s.rho.v))
	add(s.eps.set, Epsilon(s.eps.v))
	add(s.init.set, InitialAccumulatorValue(s.init.v))
	return o
}

func (s spec) new(t testing.TB) Optimizer {
	t.Helper()
	newFn := map[string]func(...Option) (Optimizer, error){
		"sgd": wrap(NewSGD), "adam": wrap(NewAdam), "adamw": wrap(NewAdamW), "rmsprop": wrap(NewRMSprop),
		"adagrad": wrap(NewAdagrad), "nadam": wrap(NewNadam), "adamax": wrap(NewAdamax),
	}[s.kind]
	if newFn == nil {
		t.Fatalf("unknown kind %q", s.kind)
	}
	o, err := newFn(s.options()...)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	return o
}

// specs covers every optimizer and every variant of its update rule.
var specs = []spec{
	{name: "sgd", kind: "sgd", lr: 0.05},
	{name: "sgd-default", kind: "sgd"},
	{name: "sgd-momentum", kind: "sgd", lr: 0.05, momentum: 0.9},
	{name: "sgd-nesterov", kind: "sgd", lr: 0.05, momentum: 0.9, nesterov: true},
	{name: "adam", kind: "adam", lr: 0.05},
	{name: "adam-default", kind: "adam"},
	{name: "adam-amsgrad", kind: "adam", lr: 0.05, amsgrad: true},
	{name: "adamw", kind: "adamw", lr: 0.05, wd: 0.1},
	{name: "adamw-default", kind: "adamw"},
	{name: "rmsprop", kind: "rmsprop", lr: 0.01},
	{name: "rmsprop-momentum", kind: "rmsprop", lr: 0.01, momentum: 0.5},
	{name: "rmsprop-centered", kind: "rmsprop", lr: 0.01, centered: true},
	{name: "rmsprop-centered-momentum", kind: "rmsprop", lr: 0.01, momentum: 0.5, centered: true},
	{name: "adagrad", kind: "adagrad", lr: 0.1},
	{name: "nadam", kind: "nadam", lr: 0.05},
	{name: "adamax", kind: "adamax", lr: 0.05},
	{name: "sgd-momentum-clipnorm", kind: "sgd", lr: 0.05, momentum: 0.9, clipnorm: 0.5},
	{name: "adam-clipvalue", kind: "adam", lr: 0.05, clipval: 0.3},
	{name: "rmsprop-globalclip", kind: "rmsprop", lr: 0.01, gclip: 0.7},
	{name: "sgd-weightdecay", kind: "sgd", lr: 0.05, wd: 0.01},
	{name: "adam-schedule", kind: "adam", sched: mustExp(0.05, 10, 0.5)},
	{name: "adamw-schedule", kind: "adamw", wd: 0.1, sched: mustExp(0.05, 5, 0.5)},
	{name: "nadam-schedule-clip", kind: "nadam", sched: mustExp(0.05, 7, 0.8), gclip: 1},
	// Explicit zeros are values, not "the default".
	{name: "sgd-lr0", kind: "sgd", zeroLR: true},
	{name: "adam-beta1-0", kind: "adam", lr: 0.05, beta1: give(0)},
	{name: "adam-eps0", kind: "adam", lr: 0.05, eps: give(0)},
	{name: "adamw-wd0", kind: "adamw", lr: 0.05, zeroWD: true},
	{name: "rmsprop-rho0", kind: "rmsprop", lr: 0.01, rho: give(0)},
	{name: "rmsprop-eps0", kind: "rmsprop", lr: 0.01, eps: give(0)},
	{name: "adagrad-init0", kind: "adagrad", lr: 0.1, init: give(0)},
	{name: "nadam-beta1-0", kind: "nadam", lr: 0.05, beta1: give(0)},
	{name: "adamax-beta2-0", kind: "adamax", lr: 0.05, beta2: give(0)},
}

func mustExp(lr float64, steps int64, rate float64) schedules.Schedule {
	s, err := schedules.NewExponentialDecay(lr, steps, rate)
	if err != nil {
		panic(err)
	}
	return s
}

// ref is a float64 reference of the Keras 3 rules, written from the
// formulas in keras/src/optimizers/*.py independently of the float32 code.
type ref struct {
	s                      spec
	t                      int64
	m, v, vhat, a, mom, u  [][]float64
	uprod                  float64
	b1, b2, eps, rho, init float64
}

func newRef(s spec, sizes []int) *ref {
	r := &ref{s: s, uprod: 1, b1: 0.9, b2: 0.999, eps: 1e-7, rho: 0.9, init: 0.1}
	// Keras defaults, written out independently of the constructors.
	if r.s.lr == 0 && r.s.sched == nil && !s.zeroLR {
		r.s.lr = map[string]float64{"sgd": 0.01}[s.kind]
		if r.s.lr == 0 {
			r.s.lr = 0.001
		}
	}
	if s.kind == "adamw" && s.wd == 0 && !s.zeroWD {
		r.s.wd = 0.004
	}
	for _, o := range []struct {
		given optional
		to    *float64
	}{{s.beta1, &r.b1}, {s.beta2, &r.b2}, {s.rho, &r.rho}, {s.eps, &r.eps}, {s.init, &r.init}} {
		if o.given.set {
			*o.to = o.given.v
		}
	}
	mk := func(fill float64) [][]float64 {
		out := make([][]float64, len(sizes))
		for i, n := range sizes {
			out[i] = make([]float64, n)
			for j := range out[i] {
				out[i][j] = fill
			}
		}
		return out
	}
	r.m, r.v, r.vhat, r.a, r.mom, r.u = mk(0), mk(0), mk(0), mk(0), mk(0), mk(0)
	if s.kind == "adagrad" {
		r.v = mk(r.init)
	}
	return r
}

func (r *ref) step(w, g [][]float64) {
	s := r.s
	lr := s.lr
	if s.sched != nil {
		lr = s.sched.At(r.t)
	}
	t := float64(r.t + 1)
	// Clipping, as BaseOptimizer._clip_gradients.
	norm := func(x []float64) float64 {
		var ss float64
		for _, v := range x {
			ss += v * v
		}
		return math.Sqrt(ss)
	}
	switch {
	case s.clipnorm > 0:
		for _, gi := range g {
			n := norm(gi)
			for j := range gi {
				gi[j] = gi[j] * s.clipnorm / math.Max(n, s.clipnorm)
			}
		}
	case s.gclip > 0:
		var ss float64
		for _, gi := range g {
			ss += norm(gi) * norm(gi)
		}
		sc := s.gclip * math.Min(1/math.Sqrt(ss), 1/s.gclip)
		for _, gi := range g {
			for j := range gi {
				gi[j] *= sc
			}
		}
	case s.clipval > 0:
		for _, gi := range g {
			for j := range gi {
				gi[j] = math.Max(-s.clipval, math.Min(s.clipval, gi[j]))
			}
		}
	}
	if s.wd > 0 {
		for _, wi := range w {
			for j := range wi {
				wi[j] -= wi[j] * s.wd * lr
			}
		}
	}
	var ut, ut1, pt, pt1 float64
	if s.kind == "nadam" {
		ut = r.b1 * (1 - 0.5*math.Pow(0.96, t))
		ut1 = r.b1 * (1 - 0.5*math.Pow(0.96, t+1))
		r.uprod *= ut
		pt, pt1 = r.uprod, r.uprod*ut1
	}
	for i := range w {
		for j := range w[i] {
			gj := g[i][j]
			m, v := &r.m[i][j], &r.v[i][j]
			switch s.kind {
			case "sgd":
				if s.momentum == 0 {
					w[i][j] -= lr * gj
				} else {
					*m = s.momentum**m - lr*gj
					if s.nesterov {
						w[i][j] += s.momentum**m - lr*gj
					} else {
						w[i][j] += *m
					}
				}
			case "adam", "adamw":
				alpha := lr * math.Sqrt(1-math.Pow(r.b2, t)) / (1 - math.Pow(r.b1, t))
				*m += (gj - *m) * (1 - r.b1)
				*v += (gj*gj - *v) * (1 - r.b2)
				vv := *v
				if s.amsgrad {
					r.vhat[i][j] = math.Max(r.vhat[i][j], *v)
					vv = r.vhat[i][j]
				}
				w[i][j] -= alpha * *m / (math.Sqrt(vv) + r.eps)
			case "rmsprop":
				*v = r.rho**v + (1-r.rho)*gj*gj
				d := *v + r.eps
				if s.centered {
					r.a[i][j] = r.rho*r.a[i][j] + (1-r.rho)*gj
					d = *v - r.a[i][j]*r.a[i][j] + r.eps
				}
				inc := lr * gj / math.Sqrt(d)
				if s.momentum > 0 {
					r.mom[i][j] = s.momentum*r.mom[i][j] + inc
					w[i][j] -= r.mom[i][j]
				} else {
					w[i][j] -= inc
				}
			case "adagrad":
				*v += gj * gj
				w[i][j] -= lr * gj / math.Sqrt(*v+r.eps)
			case "nadam":
				*m += (gj - *m) * (1 - r.b1)
				*v += (gj*gj - *v) * (1 - r.b2)
				mhat := ut1**m/(1-pt1) + (1-ut)*gj/(1-pt)
				vhat := *v / (1 - math.Pow(r.b2, t))
				w[i][j] -= lr * mhat / (math.Sqrt(vhat) + r.eps)
			case "adamax":
				*m += (gj - *m) * (1 - r.b1)
				r.u[i][j] = math.Max(r.b2*r.u[i][j], math.Abs(gj))
				w[i][j] -= lr * *m / ((1 - math.Pow(r.b1, t)) * (r.u[i][j] + r.eps))
			}
		}
	}
	r.t++
}

// tensors makes float32 tensors from float64 values.
func tensors(vals [][]float64) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(vals))
	for i, v := range vals {
		out[i] = tensor.New(len(v))
		for j, x := range v {
			out[i].Data()[j] = float32(x)
		}
	}
	return out
}

func copy2(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = append([]float64(nil), x[i]...)
	}
	return out
}

// closeTo reports whether got is within tol of want, relative for |want| >= 1
// and absolute below.
func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}
