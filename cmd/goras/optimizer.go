package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/spf13/pflag"
)

// scheduleFlags are the learning-rate schedule flags of goras train.
type scheduleFlags struct {
	schedule    string
	decaySteps  int64
	decayRate   float64
	staircase   bool
	warmupSteps int64
	alpha       float64
	boundaries  string
}

// scheduleNames are what --schedule takes, with the Keras class each makes.
var scheduleNames = []string{"exponential", "cosine", "piecewise", "none"}

// addScheduleFlags adds --schedule and its parameters to fl.
func addScheduleFlags(fl *pflag.FlagSet, s *scheduleFlags) {
	fl.StringVar(&s.schedule, "schedule", "", "learning-rate schedule `NAME`, starting from the optimizer's learning rate LR:\n"+
		"  exponential: ExponentialDecay, LR·decay_rate^(step/decay_steps)\n"+
		"  cosine: CosineDecay from LR down to alpha·LR over decay_steps, after a linear\n"+
		"    warm-up from 0 to LR over warmup_steps\n"+
		"  piecewise: PiecewiseConstantDecay, LR·decay_rate^i after the i-th boundary\n"+
		"  none: a constant rate\n"+
		"(default: the model's with its own optimizer, cosine for lenet5; otherwise none)")
	fl.Int64Var(&s.decaySteps, "decay-steps", 0, "schedule's decay_steps, in training steps (default: exponential, the steps of\none epoch; cosine, all the steps of the run after the warm-up)")
	fl.Float64Var(&s.decayRate, "decay-rate", 0, "schedule's decay factor (default: 0.9 for exponential, 0.1 for piecewise)")
	fl.BoolVar(&s.staircase, "staircase", false, "exponential: decay in whole decay_steps intervals (Keras staircase=True)")
	fl.Int64Var(&s.warmupSteps, "warmup-steps", 0, "cosine: steps of linear warm-up from 0 to LR before the decay (default 0, none)")
	fl.Float64Var(&s.alpha, "alpha", 0, "cosine: the final rate as a fraction of LR, in [0, 1] (default 0)")
	fl.StringVar(&s.boundaries, "boundaries", "", "piecewise: increasing training `STEPS` where the rate drops, e.g. 4690,7035\n(default: at 1/2 and 3/4 of the run's steps)")
}

// check validates the schedule flags: each parameter belongs to one or two
// schedules, and giving it with another is a mistake worth reporting.
func (s *scheduleFlags) check(set func(string) bool) error {
	_, err := s.parseBoundaries()
	if err != nil {
		return err
	}
	name := strings.ToLower(strings.TrimSpace(s.schedule))
	if name != "" && !containsString(scheduleNames, name) {
		return fmt.Errorf("unknown --schedule %q; known: %s", s.schedule, strings.Join(scheduleNames, ", "))
	}
	uses := map[string][]string{
		"decay-steps":  {"exponential", "cosine"},
		"decay-rate":   {"exponential", "piecewise"},
		"staircase":    {"exponential"},
		"warmup-steps": {"cosine"},
		"alpha":        {"cosine"},
		"boundaries":   {"piecewise"},
	}
	for _, flag := range []string{"decay-steps", "decay-rate", "staircase", "warmup-steps", "alpha", "boundaries"} {
		if set(flag) && !containsString(uses[flag], name) {
			return fmt.Errorf("--%s applies only to --schedule %s", flag, strings.Join(uses[flag], " or "))
		}
	}
	switch {
	case set("decay-steps") && s.decaySteps < 1:
		return fmt.Errorf("--decay-steps must be at least 1, got %d", s.decaySteps)
	case set("decay-rate") && (!(s.decayRate > 0) || math.IsInf(s.decayRate, 0)):
		return fmt.Errorf("--decay-rate must be a positive number, got %v", s.decayRate)
	case s.warmupSteps < 0:
		return fmt.Errorf("--warmup-steps must be ≥ 0, got %d", s.warmupSteps)
	case !(s.alpha >= 0 && s.alpha <= 1):
		return fmt.Errorf("--alpha must be in [0, 1], got %v", s.alpha)
	}
	return nil
}

// parseBoundaries reads --boundaries, a comma-separated list of increasing
// step counts; nil when it is not given.
func (s *scheduleFlags) parseBoundaries() ([]int64, error) {
	if strings.TrimSpace(s.boundaries) == "" {
		return nil, nil
	}
	var out []int64
	for _, f := range strings.Split(s.boundaries, ",") {
		b, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || b < 1 || len(out) > 0 && b <= out[len(out)-1] {
			return nil, fmt.Errorf("--boundaries must be increasing positive step counts separated by commas (e.g. 4690,7035), got %q", s.boundaries)
		}
		out = append(out, b)
	}
	return out, nil
}

// build makes the schedule starting from rate lr for a run of steps
// training steps, stepsPerEpoch to an epoch; nil when no --schedule is set.
// The flags become the schedule's Keras config, read back by
// schedules.FromConfig, the one way from a description to a schedule.
func (s *scheduleFlags) build(lr float64, stepsPerEpoch, steps int64) (schedules.Schedule, error) {
	switch strings.ToLower(strings.TrimSpace(s.schedule)) {
	case "exponential":
		c := map[string]any{"initial_learning_rate": lr, "decay_steps": s.decaySteps, "decay_rate": s.decayRate, "staircase": s.staircase}
		if s.decaySteps == 0 {
			c["decay_steps"] = stepsPerEpoch
		}
		if s.decayRate == 0 {
			c["decay_rate"] = 0.9
		}
		return schedules.FromConfig("ExponentialDecay", c)
	case "cosine":
		c := map[string]any{"initial_learning_rate": lr, "decay_steps": s.decaySteps, "alpha": s.alpha}
		if s.warmupSteps > 0 {
			// Keras: warm up from initial_learning_rate to warmup_target.
			c["initial_learning_rate"], c["warmup_target"], c["warmup_steps"] = 0.0, lr, s.warmupSteps
		}
		if s.decaySteps == 0 {
			c["decay_steps"] = steps - s.warmupSteps
			if steps-s.warmupSteps < 1 {
				return nil, fmt.Errorf("--warmup-steps %d leaves no step of the run's %d to decay over; warm up for fewer steps", s.warmupSteps, steps)
			}
		}
		return schedules.FromConfig("CosineDecay", c)
	case "piecewise":
		bounds, err := s.parseBoundaries()
		if err != nil {
			return nil, err
		}
		if len(bounds) == 0 {
			bounds = []int64{max(steps/2, 1), max(steps*3/4, 2)}
		}
		rate := s.decayRate
		if rate == 0 {
			rate = 0.1
		}
		values := []float64{lr}
		for range bounds {
			values = append(values, values[len(values)-1]*rate)
		}
		return schedules.FromConfig("PiecewiseConstantDecay", map[string]any{"boundaries": bounds, "values": values})
	}
	return nil, nil
}

// newOptimizer makes the optimizer the flags ask for. The model's learning
// rate goes with the model's optimizer only: another optimizer starts from
// its own Keras default (Adam's 0.1 would diverge where SGD's 0.1 learns).
// With a schedule, the rate is the schedule's starting point. stepsPerEpoch
// and steps size the schedule's defaults.
func (f *trainFlags) newOptimizer(spec applications.Spec, set func(string) bool, stepsPerEpoch, steps int64) (optimizers.Optimizer, error) {
	name := spec.Optimizer
	if set("optimizer") {
		name = strings.ToLower(strings.TrimSpace(f.optimizer))
	}
	// Get checks the name and knows each optimizer's Keras default rate.
	def, err := optimizers.Get(name)
	if err != nil {
		return nil, fmt.Errorf("unknown --optimizer %q; known: %s", name, strings.Join(optimizers.Names(), ", "))
	}
	lr := def.LearningRate()
	if name == spec.Optimizer && spec.LearningRate > 0 {
		lr = spec.LearningRate
	}
	if set("learning-rate") {
		if math.IsNaN(f.learningRate) || math.IsInf(f.learningRate, 0) || f.learningRate <= 0 {
			return nil, fmt.Errorf("--learning-rate must be a positive number, got %v", f.learningRate)
		}
		lr = f.learningRate
	}
	if name != "sgd" {
		for _, flag := range []string{"momentum", "nesterov"} {
			if set(flag) {
				return nil, fmt.Errorf("--%s applies only to --optimizer sgd, not %s", flag, name)
			}
		}
	} else {
		if f.nesterov && f.momentum == 0 {
			return nil, errors.New("--nesterov needs a --momentum above 0 (e.g. --momentum 0.9)")
		}
		if math.IsNaN(f.momentum) || f.momentum < 0 || f.momentum > 1 {
			return nil, fmt.Errorf("--momentum must be in [0, 1], got %v", f.momentum)
		}
	}
	sf := f.sched
	if !set("schedule") && name == spec.Optimizer && !set("reduce-lr-on-plateau") {
		// The model's own recipe, e.g. lenet5's cosine decay; ReduceLROnPlateau
		// drives the rate itself, so it replaces the recipe's schedule.
		sf.schedule = spec.Schedule
	}
	if err := sf.check(set); err != nil {
		return nil, err
	}
	sched, err := sf.build(lr, stepsPerEpoch, steps)
	if err != nil {
		return nil, err
	}
	// The flags become the optimizer's Keras config, read back by
	// optimizers.FromConfig, the one way from a description to an optimizer.
	cfg := map[string]any{"learning_rate": lr}
	if sched != nil {
		cfg["learning_rate"] = schedules.Serialize(sched) // a rate or a schedule
	}
	if set("momentum") {
		cfg["momentum"] = f.momentum
	}
	if set("nesterov") {
		cfg["nesterov"] = f.nesterov
	}
	return optimizers.FromConfig(name, cfg)
}

// describeOptimizer says in a few words what opt does, e.g.
// "Adam(learning_rate=CosineDecay(decay_steps=4690, warmup_steps=0))".
func describeOptimizer(opt optimizers.Optimizer) string {
	c := opt.Config()
	lr := fmt.Sprintf("%g", opt.LearningRate())
	if s, ok := c["learning_rate"].(map[string]any); ok {
		lr = describeSchedule(s)
	}
	out := fmt.Sprintf("%s(learning_rate=%s", opt.Name(), lr)
	if opt.Name() == "SGD" {
		if mom, _ := c["momentum"].(float64); mom > 0 {
			out += fmt.Sprintf(", momentum=%g, nesterov=%v", mom, c["nesterov"])
		}
	}
	return out + ")"
}

// describeSchedule formats a serialized schedule as Class(key=value, ...).
func describeSchedule(s map[string]any) string {
	cfg, _ := s["config"].(map[string]any)
	keys := map[string][]string{
		"ExponentialDecay":       {"initial_learning_rate", "decay_steps", "decay_rate", "staircase"},
		"CosineDecay":            {"initial_learning_rate", "decay_steps", "alpha", "warmup_target", "warmup_steps"},
		"PiecewiseConstantDecay": {"boundaries", "values"},
	}
	class, _ := s["class_name"].(string)
	var parts []string
	for _, k := range keys[class] {
		if v, ok := cfg[k]; ok && v != nil {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return class + "(" + strings.Join(parts, ", ") + ")"
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
