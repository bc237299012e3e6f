package schedules

import (
	"fmt"
	"math"
	"slices"
)

// Schedule maps the optimizer's step count to a learning rate.
type Schedule interface {
	// At returns the learning rate for the update that follows step
	// completed updates (step 0 is the first update).
	At(step int64) float64
	// Config returns the Keras get_config keys and values.
	Config() map[string]any
	// Name returns the Keras class name, e.g. "ExponentialDecay".
	Name() string
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// ExponentialDecayConfig configures ExponentialDecay. It has no defaults:
// DecaySteps and DecayRate must be set.
type ExponentialDecayConfig struct {
	// InitialLearningRate is the rate at step 0 (>= 0).
	InitialLearningRate float64
	// DecaySteps is the number of steps over which the rate is multiplied
	// by DecayRate once (> 0).
	DecaySteps int64
	// DecayRate is the factor per DecaySteps steps (> 0).
	DecayRate float64
	// Staircase, when true, decays in whole DecaySteps intervals
	// (floor(step/DecaySteps)); default false (continuous decay).
	Staircase bool
}

// ExponentialDecay is initial * rate^(step/decaySteps), the exponent
// floored when Staircase is set.
type ExponentialDecay struct{ cfg ExponentialDecayConfig }

// NewExponentialDecay validates cfg and returns the schedule.
func NewExponentialDecay(cfg ExponentialDecayConfig) (*ExponentialDecay, error) {
	switch {
	case !finite(cfg.InitialLearningRate) || cfg.InitialLearningRate < 0:
		return nil, fmt.Errorf("schedules: ExponentialDecay InitialLearningRate must be a finite number >= 0, got %v", cfg.InitialLearningRate)
	case cfg.DecaySteps <= 0:
		return nil, fmt.Errorf("schedules: ExponentialDecay DecaySteps must be > 0, got %d", cfg.DecaySteps)
	case !finite(cfg.DecayRate) || cfg.DecayRate <= 0:
		return nil, fmt.Errorf("schedules: ExponentialDecay DecayRate must be a finite number > 0, got %v (e.g. 0.96)", cfg.DecayRate)
	}
	return &ExponentialDecay{cfg: cfg}, nil
}

// At implements Schedule.
func (s *ExponentialDecay) At(step int64) float64 {
	p := float64(step) / float64(s.cfg.DecaySteps)
	if s.cfg.Staircase {
		p = math.Floor(p)
	}
	return s.cfg.InitialLearningRate * math.Pow(s.cfg.DecayRate, p)
}

// Name implements Schedule.
func (s *ExponentialDecay) Name() string { return "ExponentialDecay" }

// Config implements Schedule.
func (s *ExponentialDecay) Config() map[string]any {
	return map[string]any{
		"initial_learning_rate": s.cfg.InitialLearningRate,
		"decay_steps":           s.cfg.DecaySteps,
		"decay_rate":            s.cfg.DecayRate,
		"staircase":             s.cfg.Staircase,
		"name":                  "ExponentialDecay",
	}
}

// PiecewiseConstantDecayConfig configures PiecewiseConstantDecay. It has no
// defaults.
type PiecewiseConstantDecayConfig struct {
	// Boundaries are strictly increasing step counts (at least one).
	Boundaries []int64
	// Values has one more element than Boundaries: Values[0] while
	// step <= Boundaries[0], Values[i] while Boundaries[i-1] < step <=
	// Boundaries[i], and the last value once step > the last boundary.
	Values []float64
}

// PiecewiseConstantDecay is constant between boundaries.
type PiecewiseConstantDecay struct {
	boundaries []int64
	values     []float64
}

// NewPiecewiseConstantDecay validates cfg and returns the schedule. It copies
// the slices.
func NewPiecewiseConstantDecay(cfg PiecewiseConstantDecayConfig) (*PiecewiseConstantDecay, error) {
	if len(cfg.Boundaries) == 0 || len(cfg.Values) != len(cfg.Boundaries)+1 {
		return nil, fmt.Errorf("schedules: PiecewiseConstantDecay needs at least one boundary and one more value than boundaries, got %d boundaries and %d values", len(cfg.Boundaries), len(cfg.Values))
	}
	for i := 1; i < len(cfg.Boundaries); i++ {
		if cfg.Boundaries[i] <= cfg.Boundaries[i-1] {
			return nil, fmt.Errorf("schedules: PiecewiseConstantDecay boundaries must be strictly increasing, got %v", cfg.Boundaries)
		}
	}
	for _, v := range cfg.Values {
		if !finite(v) || v < 0 {
			return nil, fmt.Errorf("schedules: PiecewiseConstantDecay values must be finite numbers >= 0, got %v", cfg.Values)
		}
	}
	return &PiecewiseConstantDecay{boundaries: slices.Clone(cfg.Boundaries), values: slices.Clone(cfg.Values)}, nil
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

// Config implements Schedule.
func (s *PiecewiseConstantDecay) Config() map[string]any {
	return map[string]any{
		"boundaries": slices.Clone(s.boundaries),
		"values":     slices.Clone(s.values),
		"name":       "PiecewiseConstant",
	}
}

// CosineDecayConfig configures CosineDecay.
type CosineDecayConfig struct {
	// InitialLearningRate is the rate at step 0 (>= 0; 0 is allowed, the
	// usual start of a warm-up).
	InitialLearningRate float64
	// DecaySteps is the length of the cosine decay (> 0; no default).
	DecaySteps int64
	// Alpha is the final rate as a fraction of the rate the decay starts
	// from; default 0.
	Alpha float64
	// WarmupTarget is the rate a linear warm-up climbs to from
	// InitialLearningRate; the cosine decay then starts from it.
	// Default 0, meaning Keras's None: no warm-up, and (as in Keras)
	// WarmupSteps is then ignored.
	WarmupTarget float64
	// WarmupSteps is the length of the warm-up; default 0.
	WarmupSteps int64
}

// CosineDecay is Keras's cosine decay with optional linear warm-up:
//
//	warm-up (step < WarmupSteps): initial + (target-initial)*step/WarmupSteps
//	decay:  from * ((1-Alpha)*0.5*(1+cos(pi*s/DecaySteps)) + Alpha)
//
// where s = min(step-WarmupSteps, DecaySteps) and from is WarmupTarget, or
// InitialLearningRate when there is no warm-up.
type CosineDecay struct{ cfg CosineDecayConfig }

// NewCosineDecay validates cfg and returns the schedule.
func NewCosineDecay(cfg CosineDecayConfig) (*CosineDecay, error) {
	switch {
	case !finite(cfg.InitialLearningRate) || cfg.InitialLearningRate < 0:
		return nil, fmt.Errorf("schedules: CosineDecay InitialLearningRate must be a finite number >= 0, got %v", cfg.InitialLearningRate)
	case cfg.DecaySteps <= 0:
		return nil, fmt.Errorf("schedules: CosineDecay DecaySteps must be > 0, got %d", cfg.DecaySteps)
	case !finite(cfg.Alpha) || cfg.Alpha < 0 || cfg.Alpha > 1:
		return nil, fmt.Errorf("schedules: CosineDecay Alpha must be in [0, 1], got %v", cfg.Alpha)
	case !finite(cfg.WarmupTarget) || cfg.WarmupTarget < 0:
		return nil, fmt.Errorf("schedules: CosineDecay WarmupTarget must be a finite number >= 0 (0 = no warm-up), got %v", cfg.WarmupTarget)
	case cfg.WarmupSteps < 0:
		return nil, fmt.Errorf("schedules: CosineDecay WarmupSteps must be >= 0, got %d", cfg.WarmupSteps)
	}
	return &CosineDecay{cfg: cfg}, nil
}

func (s *CosineDecay) decay(step, from float64) float64 {
	frac := step / float64(s.cfg.DecaySteps)
	cos := 0.5 * (1 + math.Cos(math.Pi*frac))
	return from * ((1-s.cfg.Alpha)*cos + s.cfg.Alpha)
}

// At implements Schedule.
func (s *CosineDecay) At(step int64) float64 {
	c := s.cfg
	x := float64(step)
	if c.WarmupTarget == 0 {
		return s.decay(min(x, float64(c.DecaySteps)), c.InitialLearningRate)
	}
	ws := float64(c.WarmupSteps)
	x = min(x, float64(c.DecaySteps)+ws)
	if x < ws {
		return (c.WarmupTarget-c.InitialLearningRate)*(x/ws) + c.InitialLearningRate
	}
	return s.decay(x-ws, c.WarmupTarget)
}

// Name implements Schedule.
func (s *CosineDecay) Name() string { return "CosineDecay" }

// Config implements Schedule. warmup_target is nil when there is no warm-up,
// as in Keras.
func (s *CosineDecay) Config() map[string]any {
	var target any
	if s.cfg.WarmupTarget != 0 {
		target = s.cfg.WarmupTarget
	}
	return map[string]any{
		"initial_learning_rate": s.cfg.InitialLearningRate,
		"decay_steps":           s.cfg.DecaySteps,
		"alpha":                 s.cfg.Alpha,
		"name":                  "CosineDecay",
		"warmup_target":         target,
		"warmup_steps":          s.cfg.WarmupSteps,
	}
}
