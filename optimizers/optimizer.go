package optimizers

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// Optimizer updates variables in place from their gradients.
type Optimizer interface {
	// Name returns the Keras class name: "SGD", "Adam", ...
	Name() string
	// Build allocates the slot state for vars, in the order Apply will
	// receive them. Call it once; calling it again with variables of the
	// same sizes is a no-op (state is kept), with other sizes an error.
	Build(vars []*tensor.Tensor) error
	// Apply performs one step: clip grads, apply weight decay, update vars,
	// count the step. grads may be modified in place (clipping). It does not
	// allocate. It panics if the optimizer is not built or vars/grads do
	// not match what Build saw (programmer errors).
	Apply(vars, grads []*tensor.Tensor)
	// LearningRate returns the rate the next step will use (the schedule
	// evaluated at Iterations(), if one drives the rate).
	LearningRate() float64
	// SetLearningRate sets the rate of the following steps. It returns an
	// error if a schedule drives the rate or lr is negative or not finite.
	SetLearningRate(lr float64) error
	// Iterations returns the number of steps applied so far.
	Iterations() int64
	// Config returns the Keras get_config keys and values.
	Config() map[string]any
	// Variables returns every piece of state: the iteration count as a
	// 1-element tensor, the learning rate as a 1-element tensor (absent when
	// a schedule drives it), then the slots. Writing into these tensors and
	// continuing is bit-identical to never having stopped.
	Variables() []Variable
}

// Variable is one named piece of optimizer state. Value is the optimizer's
// own tensor, not a copy: write into it to restore a checkpoint.
type Variable struct {
	Name  string
	Value *tensor.Tensor
}

// optFloat is a hyper-parameter that Keras defaults to None: set tells a
// given 0 from an absent value.
type optFloat struct {
	v   float64
	set bool
}

// config is the value Keras's get_config writes: the number, or None.
func (x optFloat) config() any {
	if !x.set {
		return nil
	}
	return x.v
}

// base is embedded by every optimizer: learning rate, step counter,
// clipping, weight decay and the variable list.
type base struct {
	name   string // Keras class name
	prefix string // Keras default instance name, prefix of variable names

	learningRate float64
	schedule     schedules.Schedule
	weightDecay  optFloat // applied when > 0
	clipnorm     optFloat // at most one of the three clips is set; each clips when > 0
	clipvalue    optFloat
	globalClip   optFloat

	iter  int64
	iterT *tensor.Tensor // mirror of iter, as float32
	lrT   *tensor.Tensor // mirror of learningRate; nil with a schedule

	built bool
	sizes []int      // element count of each variable, from Build
	slots []Variable // per-optimizer state, in Variables order

	ema // moving averages of the weights (use_ema), see ema.go
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// prepare is how every constructor begins: opts applied and checked (the
// class takes the options own besides those every optimizer takes), then
// the base made from them, with the class's defaults.
func prepare(class, prefix string, opts []Option, defaultLR float64, defaultWD optFloat, own ...string) (*options, base, error) {
	o, err := apply(class, opts, own...)
	if err != nil {
		return nil, base{}, err
	}
	b, err := newBase(class, prefix, o, defaultLR, defaultWD)
	return o, b, err
}

// newBase validates the options every optimizer takes and fills Keras's
// defaults: defaultLR is the optimizer's default rate, defaultWD its
// default weight decay (unset but for AdamW).
func newBase(name, prefix string, o *options, defaultLR float64, defaultWD optFloat) (base, error) {
	b := base{name: name, prefix: prefix, learningRate: o.get("LearningRate", defaultLR), schedule: o.schedule,
		weightDecay: defaultWD, clipnorm: o.optional("Clipnorm"), clipvalue: o.optional("Clipvalue"), globalClip: o.optional("GlobalClipnorm")}
	if o.has("WeightDecay") {
		b.weightDecay = o.optional("WeightDecay")
	}
	switch {
	case o.has("Schedule") && o.schedule == nil:
		return b, fmt.Errorf("optimizers: %s got a nil Schedule; give a schedule or a LearningRate", name)
	case o.has("Schedule") && o.has("LearningRate"):
		return b, fmt.Errorf("optimizers: %s got both LearningRate %v and a %s Schedule; give only one", name, b.learningRate, o.schedule.Name())
	}
	for _, c := range []struct {
		key, option string
		v           float64
	}{{"learning_rate", "LearningRate", b.learningRate}, {"weight_decay", "WeightDecay", b.weightDecay.v},
		{"clipnorm", "Clipnorm", b.clipnorm.v}, {"clipvalue", "Clipvalue", b.clipvalue.v}, {"global_clipnorm", "GlobalClipnorm", b.globalClip.v}} {
		if !finite(c.v) || c.v < 0 {
			return b, fmt.Errorf("optimizers: %s %s (%s) must be a finite number >= 0, got %v", name, c.key, c.option, c.v)
		}
	}
	if b.clipnorm.set && b.clipvalue.set || b.clipnorm.set && b.globalClip.set || b.clipvalue.set && b.globalClip.set {
		return b, fmt.Errorf("optimizers: %s: only one of Clipnorm, Clipvalue and GlobalClipnorm can be given, got clipnorm=%v clipvalue=%v global_clipnorm=%v",
			name, b.clipnorm.config(), b.clipvalue.config(), b.globalClip.config())
	}
	if b.schedule != nil {
		b.learningRate = 0
	}
	e, err := newEMA(name, o)
	if err != nil {
		return b, err
	}
	b.ema = e
	b.iterT = tensor.New(1)
	if b.schedule == nil {
		b.lrT = tensor.Full(float32(b.learningRate), 1)
	}
	return b, nil
}

// Name implements Optimizer.
func (b *base) Name() string { return b.name }

// sync picks up values written into the iteration and learning-rate tensors
// (a restored checkpoint). The float64/int64 values stay authoritative while
// the tensors hold their float32 rounding, so steps past 2^24 keep counting
// and a rate such as 0.001 is not replaced by float32(0.001).
func (b *base) sync() {
	if t := b.iterT.Data()[0]; float32(b.iter) != t {
		b.iter = int64(t)
	}
	if b.lrT != nil {
		if t := b.lrT.Data()[0]; float32(b.learningRate) != t {
			b.learningRate = float64(t)
		}
	}
}

// Iterations implements Optimizer.
func (b *base) Iterations() int64 {
	b.sync()
	return b.iter
}

// LearningRate implements Optimizer.
func (b *base) LearningRate() float64 {
	b.sync()
	return b.rate()
}

func (b *base) rate() float64 {
	if b.schedule != nil {
		return b.schedule.At(b.iter)
	}
	return b.learningRate
}

// SetLearningRate implements Optimizer.
func (b *base) SetLearningRate(lr float64) error {
	if b.schedule != nil {
		return fmt.Errorf("optimizers: %s learning rate is driven by a %s schedule and cannot be set; build the optimizer with a LearningRate instead", b.name, b.schedule.Name())
	}
	if !finite(lr) || lr < 0 {
		return fmt.Errorf("optimizers: %s learning rate must be a finite number >= 0, got %v", b.name, lr)
	}
	b.learningRate = lr
	b.lrT.Data()[0] = float32(lr)
	return nil
}

// Variables implements Optimizer.
func (b *base) Variables() []Variable {
	vs := []Variable{{Name: b.prefix + "/iteration", Value: b.iterT}}
	if b.lrT != nil {
		vs = append(vs, Variable{Name: b.prefix + "/learning_rate", Value: b.lrT})
	}
	return append(vs, b.slots...)
}

// build records the variable sizes. It reports whether the caller must
// allocate its slots (false: already built with the same sizes).
func (b *base) build(vars []*tensor.Tensor) (bool, error) {
	for i, v := range vars {
		if v == nil {
			return false, fmt.Errorf("optimizers: %s.Build: variable %d is nil", b.name, i)
		}
	}
	if b.built {
		same := len(vars) == len(b.sizes)
		for i := 0; same && i < len(vars); i++ {
			same = vars[i].Len() == b.sizes[i]
		}
		if !same {
			return false, fmt.Errorf("optimizers: %s is already built for %d variables of sizes %v; use a new optimizer for a different model", b.name, len(b.sizes), b.sizes)
		}
		return false, nil
	}
	b.sizes = make([]int, len(vars))
	for i, v := range vars {
		b.sizes[i] = v.Len()
	}
	b.built = true
	b.buildEMA(vars)
	return true, nil
}

// slotSet allocates one zero tensor per variable (shaped like it), records
// them as Variables named prefix/kind/i, and returns their data.
func (b *base) slotSet(vars []*tensor.Tensor, kind string, init float32) [][]float32 {
	out := make([][]float32, len(vars))
	for i, v := range vars {
		t := tensor.New(v.Shape()...)
		if init != 0 {
			for j := range t.Data() {
				t.Data()[j] = init
			}
		}
		b.slots = append(b.slots, Variable{Name: fmt.Sprintf("%s/%s/%d", b.prefix, kind, i), Value: t})
		out[i] = t.Data()
	}
	return out
}

// begin runs the part of a step common to all optimizers, in Keras's order:
// check, clip the gradients, decay the weights. It returns the learning rate
// of this step and its 1-based step number t.
func (b *base) begin(vars, grads []*tensor.Tensor) (lr float64, t int64) {
	if !b.built {
		panic(fmt.Sprintf("optimizers: %s.Apply called before Build", b.name))
	}
	if len(vars) != len(b.sizes) || len(grads) != len(b.sizes) {
		panic(fmt.Sprintf("optimizers: %s.Apply got %d variables and %d gradients, built for %d", b.name, len(vars), len(grads), len(b.sizes)))
	}
	for i, n := range b.sizes {
		if vars[i].Len() != n || grads[i].Len() != n {
			panic(fmt.Sprintf("optimizers: %s.Apply: variable %d has %d values and gradient %d has %d, built for %d", b.name, i, vars[i].Len(), i, grads[i].Len(), n))
		}
	}
	b.sync()
	b.clip(grads)
	lr = b.rate()
	if b.weightDecay.v > 0 {
		// Keras: variable -= variable * wd * lr, before the update.
		f := float32(b.weightDecay.v * lr)
		for _, v := range vars {
			w := v.Data()
			for j := range w {
				w[j] -= w[j] * f
			}
		}
	}
	return lr, b.iter + 1
}

// end finishes a step: the moving averages (when kept), then the count.
func (b *base) end(vars []*tensor.Tensor) {
	b.stepEMA(vars)
	b.iter++
	b.iterT.Data()[0] = float32(b.iter)
}

// clip applies the one clipping mode that is set, as Keras's
// BaseOptimizer._clip_gradients. Norms are summed in float64, in order.
func (b *base) clip(grads []*tensor.Tensor) {
	switch {
	case b.clipnorm.v > 0:
		// Each gradient g becomes g*c/max(||g||, c).
		for _, gt := range grads {
			g := gt.Data()
			if n := math.Sqrt(sumSquares(g)); n > b.clipnorm.v {
				scale(g, float32(b.clipnorm.v/n))
			}
		}
	case b.globalClip.v > 0:
		// All gradients scaled by c*min(1/n, 1/c), n the norm of all of them;
		// a non-finite n makes every gradient NaN, as in Keras.
		var ss float64
		for _, gt := range grads {
			ss += sumSquares(gt.Data())
		}
		n := math.Sqrt(ss)
		switch {
		case !finite(n):
			for _, gt := range grads {
				scale(gt.Data(), float32(math.NaN()))
			}
		case n > b.globalClip.v:
			s := float32(b.globalClip.v / n)
			for _, gt := range grads {
				scale(gt.Data(), s)
			}
		}
	case b.clipvalue.v > 0:
		hi := float32(b.clipvalue.v)
		for _, gt := range grads {
			g := gt.Data()
			for j, x := range g {
				if x > hi {
					g[j] = hi
				} else if x < -hi {
					g[j] = -hi
				}
			}
		}
	}
}

// sumSquares returns Σx² in float64, with four partial sums in a fixed
// order (deterministic, and not bound by the latency of one add chain).
func sumSquares(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func scale(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// config returns the BaseOptimizer part of get_config.
func (b *base) config() map[string]any {
	b.sync()
	var lr any = b.learningRate
	if b.schedule != nil {
		lr = schedules.Serialize(b.schedule)
	}
	c := map[string]any{
		"name":                        b.prefix,
		"learning_rate":               lr,
		"weight_decay":                b.weightDecay.config(),
		"clipnorm":                    b.clipnorm.config(),
		"global_clipnorm":             b.globalClip.config(),
		"clipvalue":                   b.clipvalue.config(),
		"loss_scale_factor":           nil,
		"gradient_accumulation_steps": nil,
	}
	b.emaConfig(c)
	return c
}

// checkRange returns an error unless lo <= x <= hi, or lo <= x < hi when
// openHi is set; key and option are the Keras and Go names of x.
func checkRange(opt, key, option string, x, lo, hi float64, openHi bool) error {
	ok := finite(x) && x >= lo && x <= hi
	if openHi && x == hi {
		ok = false
	}
	if !ok {
		bracket := "]"
		if openHi {
			bracket = ")"
		}
		if hi == maxFloat {
			return fmt.Errorf("optimizers: %s %s (%s) must be a finite number >= %g, got %v", opt, key, option, lo, x)
		}
		return fmt.Errorf("optimizers: %s %s (%s) must be in [%g, %g%s, got %v", opt, key, option, lo, hi, bracket, x)
	}
	return nil
}

const maxFloat = math.MaxFloat64
