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
	power, l1, l2, shrink, beta  optional // Ftrl's
	zeroLR, zeroWD               bool     // LearningRate(0), WeightDecay(0) given
	// Moving averages: UseEMA, with EMAMomentum and EMAOverwriteFrequency
	// when given.
	ema      bool
	emaM     optional
	emaEvery int
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
	add(s.power.set, LearningRatePower(s.power.v))
	add(s.l1.set, L1RegularizationStrength(s.l1.v))
	add(s.l2.set, L2RegularizationStrength(s.l2.v))
	add(s.shrink.set, L2ShrinkageRegularizationStrength(s.shrink.v))
	add(s.beta.set, Beta(s.beta.v))
	add(s.ema, UseEMA(true))
	add(s.emaM.set, EMAMomentum(s.emaM.v))
	add(s.emaEvery != 0, EMAOverwriteFrequency(s.emaEvery))
	return o
}

func (s spec) new(t testing.TB) Optimizer {
	t.Helper()
	newFn := map[string]func(...Option) (Optimizer, error){
		"sgd": wrap(NewSGD), "adam": wrap(NewAdam), "adamw": wrap(NewAdamW), "rmsprop": wrap(NewRMSprop),
		"adagrad": wrap(NewAdagrad), "nadam": wrap(NewNadam), "adamax": wrap(NewAdamax),
		"adadelta": wrap(NewAdadelta), "lion": wrap(NewLion), "ftrl": wrap(NewFtrl),
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
	{name: "adadelta", kind: "adadelta", lr: 1},
	{name: "adadelta-default", kind: "adadelta"},
	{name: "adadelta-rho", kind: "adadelta", lr: 0.5, rho: give(0.8), eps: give(1e-4)},
	{name: "lion", kind: "lion", lr: 0.01},
	{name: "lion-default", kind: "lion"},
	{name: "lion-betas", kind: "lion", lr: 0.01, beta1: give(1), beta2: give(0.5)},
	{name: "ftrl", kind: "ftrl", lr: 0.1},
	{name: "ftrl-default", kind: "ftrl"},
	{name: "ftrl-l1-l2", kind: "ftrl", lr: 0.1, l1: give(0.01), l2: give(0.05)},
	{name: "ftrl-shrink-beta-power", kind: "ftrl", lr: 0.1, shrink: give(0.02), beta: give(0.5), power: give(-0.7), init: give(0.5)},
	{name: "ftrl-power0", kind: "ftrl", lr: 0.1, power: give(0)},
	// Moving averages on several rules.
	{name: "sgd-ema", kind: "sgd", lr: 0.05, ema: true},
	{name: "adam-ema-overwrite", kind: "adam", lr: 0.05, ema: true, emaM: give(0.9), emaEvery: 4},
	{name: "lion-ema", kind: "lion", lr: 0.01, ema: true, emaEvery: 7},
	{name: "ftrl-ema", kind: "ftrl", lr: 0.1, ema: true, emaM: give(0.5)},
	{name: "adadelta-ema-wd", kind: "adadelta", lr: 1, ema: true, wd: 0.01, emaEvery: 3},
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
	avg                    [][]float64 // moving averages (use_ema)
	uprod                  float64
	b1, b2, eps, rho, init float64
	power, l1, l2, shrink  float64 // Ftrl
	beta, emaM             float64
}

func newRef(s spec, sizes []int) *ref {
	r := &ref{s: s, uprod: 1, b1: 0.9, b2: 0.999, eps: 1e-7, rho: 0.9, init: 0.1, power: -0.5, emaM: 0.99}
	switch s.kind {
	case "adadelta":
		r.rho = 0.95
	case "lion":
		r.b2 = 0.99
	}
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
	}{{s.beta1, &r.b1}, {s.beta2, &r.b2}, {s.rho, &r.rho}, {s.eps, &r.eps}, {s.init, &r.init},
		{s.power, &r.power}, {s.l1, &r.l1}, {s.l2, &r.l2}, {s.shrink, &r.shrink}, {s.beta, &r.beta}, {s.emaM, &r.emaM}} {
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
	r.m, r.v, r.vhat, r.a, r.mom, r.u, r.avg = mk(0), mk(0), mk(0), mk(0), mk(0), mk(0), mk(0)
	if s.kind == "adagrad" || s.kind == "ftrl" {
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
			default:
				r.newRules(lr, i, j, w, gj)
			}
		}
	}
	r.emaStep(w)
	r.t++
}

// newRules are Adadelta, Lion and Ftrl, from keras/src/optimizers/
// adadelta.py, lion.py and ftrl.py.
func (r *ref) newRules(lr float64, i, j int, w [][]float64, gj float64) {
	m, v := &r.m[i][j], &r.v[i][j]
	switch r.s.kind {
	case "adadelta": // v: accumulated_grad, m: accumulated_delta_var
		*v = r.rho**v + (1-r.rho)*gj*gj
		d := -math.Sqrt(*m+r.eps) * gj / math.Sqrt(*v+r.eps)
		*m = r.rho**m + (1-r.rho)*d*d
		w[i][j] += lr * d
	case "lion":
		u := r.b1**m + (1-r.b1)*gj
		sign := 0.0 // ops.sign: NaN for NaN
		switch {
		case u > 0:
			sign = 1
		case u < 0:
			sign = -1
		case math.IsNaN(u):
			sign = u
		}
		w[i][j] -= lr * sign
		*m = r.b2**m + (1-r.b2)*gj
	case "ftrl": // v: accumulator, m: linear
		l2 := r.l2 + r.beta/(2*lr)
		g2 := gj + 2*r.shrink*w[i][j]
		nv := *v + gj*gj
		*m += g2 - (math.Pow(nv, -r.power)-math.Pow(*v, -r.power))/lr*w[i][j]
		quad := math.Pow(nv, -r.power)/lr + 2*l2
		w[i][j] = (math.Max(-r.l1, math.Min(r.l1, *m)) - *m) / quad
		*v = nv
	}
}

// emaStep is BaseOptimizer's moving average: momentum 0 on the first step,
// then average = m·average + (1-m)·w; the weights take the averages on
// steps whose count is a multiple of the overwrite frequency.
func (r *ref) emaStep(w [][]float64) {
	if !r.s.ema {
		return
	}
	m := r.emaM
	if r.t == 0 {
		m = 0
	}
	for i := range w {
		for j := range w[i] {
			r.avg[i][j] = m*r.avg[i][j] + (1-m)*w[i][j]
		}
	}
	if r.s.emaEvery > 0 && (r.t+1)%int64(r.s.emaEvery) == 0 {
		for i := range w {
			copy(w[i], r.avg[i])
		}
	}
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
