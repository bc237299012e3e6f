package schedules

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Schedule maps the optimizer's step count to a learning rate.
type Schedule interface {
	// At returns the learning rate for the update that follows step
	// completed updates (step 0 is the first update).
	At(step int64) float64
	// Config returns the Keras get_config keys and values.
	Config() map[string]any
	// Name returns the Keras class name, e.g. "ExponentialDecay": the
	// class_name of its serialized config.
	Name() string
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Option sets one of a schedule's optional Keras arguments. Each
// constructor names the options it takes; giving it another is an error.
// An option given is used as given, zero included.
type Option func(*options)

type options struct {
	set          []string // Go names of the options given, in order
	staircase    bool
	alpha        float64
	warmupTarget float64
	warmupSteps  int64
}

func (o *options) mark(name string) { o.set = append(o.set, name) }

func (o *options) has(name string) bool { return slices.Contains(o.set, name) }

// Staircase, for ExponentialDecay, decays in whole decay_steps intervals
// (floor(step/decay_steps)). Default false: continuous decay.
func Staircase(on bool) Option { return func(o *options) { o.mark("Staircase"); o.staircase = on } }

// Alpha, for CosineDecay, is the final rate as a fraction of the rate the
// decay starts from, in [0, 1]. Default 0.
func Alpha(alpha float64) Option { return func(o *options) { o.mark("Alpha"); o.alpha = alpha } }

// WarmupTarget, for CosineDecay, is the rate a linear warm-up climbs to from
// the initial rate; the cosine decay then starts from it. Default none
// (Keras's None): no warm-up, and WarmupSteps is ignored, as in Keras.
// WarmupTarget(0) is a warm-up to 0.
func WarmupTarget(lr float64) Option {
	return func(o *options) { o.mark("WarmupTarget"); o.warmupTarget = lr }
}

// WarmupSteps, for CosineDecay, is the length of the warm-up, >= 0.
// Default 0.
func WarmupSteps(steps int64) Option {
	return func(o *options) { o.mark("WarmupSteps"); o.warmupSteps = steps }
}

// apply runs opts and returns an error naming any option class does not
// take.
func apply(class string, opts []Option, allowed ...string) (*options, error) {
	o := &options{}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	for _, name := range o.set {
		if !slices.Contains(allowed, name) {
			takes := "no options"
			if len(allowed) > 0 {
				takes = "the options " + strings.Join(allowed, ", ")
			}
			return nil, fmt.Errorf("schedules: %s does not take the option %s (it takes %s)", class, name, takes)
		}
	}
	return o, nil
}

// ExponentialDecay is initial * rate^(step/decaySteps), the exponent
// floored with Staircase, Keras's ExponentialDecay.
type ExponentialDecay struct {
	initial, rate float64
	steps         int64
	staircase     bool
}

// NewExponentialDecay returns Keras's ExponentialDecay(initial_learning_rate,
// decay_steps, decay_rate): the rate is initialLearningRate (>= 0) at step 0
// and is multiplied by decayRate (> 0) every decaySteps (> 0) steps. It
// takes the option Staircase (default false).
func NewExponentialDecay(initialLearningRate float64, decaySteps int64, decayRate float64, opts ...Option) (*ExponentialDecay, error) {
	o, err := apply("ExponentialDecay", opts, "Staircase")
	switch {
	case err != nil:
		return nil, err
	case !finite(initialLearningRate) || initialLearningRate < 0:
		return nil, fmt.Errorf("schedules: ExponentialDecay initial_learning_rate must be a finite number >= 0, got %v", initialLearningRate)
	case decaySteps <= 0:
		return nil, fmt.Errorf("schedules: ExponentialDecay decay_steps must be > 0, got %d", decaySteps)
	case !finite(decayRate) || decayRate <= 0:
		return nil, fmt.Errorf("schedules: ExponentialDecay decay_rate must be a finite number > 0, got %v (e.g. 0.96)", decayRate)
	}
	return &ExponentialDecay{initial: initialLearningRate, rate: decayRate, steps: decaySteps, staircase: o.staircase}, nil
}

// At implements Schedule.
func (s *ExponentialDecay) At(step int64) float64 {
	p := float64(step) / float64(s.steps)
	if s.staircase {
		p = math.Floor(p)
	}
	return s.initial * math.Pow(s.rate, p)
}

// Name implements Schedule.
func (s *ExponentialDecay) Name() string { return "ExponentialDecay" }

// Config implements Schedule.
func (s *ExponentialDecay) Config() map[string]any {
	return map[string]any{
		"initial_learning_rate": s.initial,
		"decay_steps":           s.steps,
		"decay_rate":            s.rate,
		"staircase":             s.staircase,
		"name":                  "ExponentialDecay",
	}
}

// PiecewiseConstantDecay is constant between boundaries, Keras's
// PiecewiseConstantDecay.
type PiecewiseConstantDecay struct {
	boundaries []int64
	values     []float64
}

// NewPiecewiseConstantDecay returns Keras's PiecewiseConstantDecay(boundaries,
// values): values[0] while step <= boundaries[0], values[i] while
// boundaries[i-1] < step <= boundaries[i], and the last value once step is
// past the last boundary. boundaries are strictly increasing (at least one);
// values has one more element, each a finite number >= 0. It copies the
// slices.
func NewPiecewiseConstantDecay(boundaries []int64, values []float64) (*PiecewiseConstantDecay, error) {
	if len(boundaries) == 0 || len(values) != len(boundaries)+1 {
		return nil, fmt.Errorf("schedules: PiecewiseConstantDecay needs at least one boundary and one more value than boundaries, got %d boundaries and %d values", len(boundaries), len(values))
	}
	for i := 1; i < len(boundaries); i++ {
		if boundaries[i] <= boundaries[i-1] {
			return nil, fmt.Errorf("schedules: PiecewiseConstantDecay boundaries must be strictly increasing, got %v", boundaries)
		}
	}
	for _, v := range values {
		if !finite(v) || v < 0 {
			return nil, fmt.Errorf("schedules: PiecewiseConstantDecay values must be finite numbers >= 0, got %v", values)
		}
	}
	return &PiecewiseConstantDecay{boundaries: slices.Clone(boundaries), values: slices.Clone(values)}, nil
}

// At implements Schedule.
func (s *PiecewiseConstantDecay) At(step int64) float64 {
	for i, b := range s.boundaries {
		if step <= b {
			return s.values[i]
		}
	}
	return s.values[len(s.values)-1]
}

// Name implements Schedule.
func (s *PiecewiseConstantDecay) Name() string { return "PiecewiseConstantDecay" }

// Config implements Schedule. Keras's default name for this class is
// "PiecewiseConstant".
func (s *PiecewiseConstantDecay) Config() map[string]any {
	return map[string]any{
		"boundaries": slices.Clone(s.boundaries),
		"values":     slices.Clone(s.values),
		"name":       "PiecewiseConstant",
	}
}

// CosineDecay is Keras's cosine decay with optional linear warm-up:
//
//	warm-up (step < warmup_steps): initial + (target-initial)*step/warmup_steps
//	decay:  from * ((1-alpha)*0.5*(1+cos(pi*s/decay_steps)) + alpha)
//
// where s = min(step-warmup_steps, decay_steps) and from is warmup_target,
// or initial_learning_rate when there is no warm-up.
type CosineDecay struct {
	initial, alpha, target float64
	warmup                 bool // a WarmupTarget was given (Keras: warmup_target is not None)
	steps, warmupSteps     int64
}

// NewCosineDecay returns Keras's CosineDecay(initial_learning_rate,
// decay_steps): initialLearningRate is the rate at step 0 (>= 0; 0 is
// allowed, the usual start of a warm-up), decaySteps (> 0) the length of
// the cosine decay. It takes the options Alpha (default 0), WarmupTarget
// (default none: no warm-up) and WarmupSteps (default 0).
func NewCosineDecay(initialLearningRate float64, decaySteps int64, opts ...Option) (*CosineDecay, error) {
	o, err := apply("CosineDecay", opts, "Alpha", "WarmupTarget", "WarmupSteps")
	switch {
	case err != nil:
		return nil, err
	case !finite(initialLearningRate) || initialLearningRate < 0:
		return nil, fmt.Errorf("schedules: CosineDecay initial_learning_rate must be a finite number >= 0, got %v", initialLearningRate)
	case decaySteps <= 0:
		return nil, fmt.Errorf("schedules: CosineDecay decay_steps must be > 0, got %d", decaySteps)
	case !finite(o.alpha) || o.alpha < 0 || o.alpha > 1:
		return nil, fmt.Errorf("schedules: CosineDecay alpha must be in [0, 1], got %v", o.alpha)
	case !finite(o.warmupTarget) || o.warmupTarget < 0:
		return nil, fmt.Errorf("schedules: CosineDecay warmup_target must be a finite number >= 0, got %v", o.warmupTarget)
	case o.warmupSteps < 0:
		return nil, fmt.Errorf("schedules: CosineDecay warmup_steps must be >= 0, got %d", o.warmupSteps)
	}
	return &CosineDecay{initial: initialLearningRate, alpha: o.alpha, target: o.warmupTarget, warmup: o.has("WarmupTarget"),
		steps: decaySteps, warmupSteps: o.warmupSteps}, nil
}

func (s *CosineDecay) decay(step, from float64) float64 {
	frac := step / float64(s.steps)
	cos := 0.5 * (1 + math.Cos(math.Pi*frac))
	return from * ((1-s.alpha)*cos + s.alpha)
}

// At implements Schedule.
func (s *CosineDecay) At(step int64) float64 {
	x := float64(step)
	if !s.warmup {
		return s.decay(min(x, float64(s.steps)), s.initial)
	}
	ws := float64(s.warmupSteps)
	x = min(x, float64(s.steps)+ws)
	if x < ws {
		return (s.target-s.initial)*(x/ws) + s.initial
	}
	return s.decay(x-ws, s.target)
}

// Name implements Schedule.
func (s *CosineDecay) Name() string { return "CosineDecay" }

// Config implements Schedule. warmup_target is nil when there is no warm-up,
// as in Keras.
func (s *CosineDecay) Config() map[string]any {
	var target any
	if s.warmup {
		target = s.target
	}
	return map[string]any{
		"initial_learning_rate": s.initial,
		"decay_steps":           s.steps,
		"alpha":                 s.alpha,
		"name":                  "CosineDecay",
		"warmup_target":         target,
		"warmup_steps":          s.warmupSteps,
	}
}
