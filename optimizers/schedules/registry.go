package schedules

import "github.com/goras-ml/goras/internal/configread"

// The registry maps Keras class names to functions that rebuild a schedule
// from its Config, so that an optimizer's learning_rate in a model file, a
// checkpoint or the command line comes back as the same schedule.
var registry = configread.NewRegistry[Schedule]("schedules", "learning-rate schedule")

func init() {
	registry.Builtin("ExponentialDecay", exponentialFromConfig)
	registry.Builtin("PiecewiseConstantDecay", piecewiseFromConfig)
	registry.Builtin("CosineDecay", cosineFromConfig)
}

// Register makes FromConfig rebuild schedules of the class className (what
// the schedule's Name returns) with fromConfig. Call it from an init
// function of the package that defines the schedule. It panics if the name
// is empty or taken (ignoring case and underscores) or fromConfig is nil.
func Register(className string, fromConfig func(config map[string]any) (Schedule, error)) {
	registry.Register(className, fromConfig)
}

// FromConfig rebuilds a schedule of the Keras class className
// ("ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay", or one
// registered with Register; case and underscores are ignored) from its
// config, as Config produces it or Keras writes it. Numbers may be float64
// or json.Number; keys the class does not know, missing required keys and
// wrong types are errors. Keras's "name" key is accepted and not kept.
func FromConfig(className string, config map[string]any) (Schedule, error) {
	return registry.Build(className, config)
}

// Names lists the class names FromConfig knows, sorted.
func Names() []string { return registry.ClassNames() }

// Serialize is Keras's serialized form of s, as an optimizer's
// learning_rate holds it: {"module": "keras.optimizers.schedules",
// "class_name": s.Name(), "config": s.Config(), "registered_name": null}.
func Serialize(s Schedule) map[string]any {
	return configread.Serialize("keras.optimizers.schedules", s.Name(), s.Config(), registry.IsBuiltin(s.Name()))
}

func exponentialFromConfig(config map[string]any) (Schedule, error) {
	r := configread.New("schedules: ExponentialDecay config", config)
	r.Require("initial_learning_rate", "decay_steps", "decay_rate")
	lr, _ := r.Float("initial_learning_rate")
	steps, _ := r.Int("decay_steps")
	rate, _ := r.Float("decay_rate")
	var opts []Option
	if on, ok := r.Bool("staircase"); ok {
		opts = append(opts, Staircase(on))
	}
	r.Name()
	if err := r.Err(); err != nil {
		return nil, err
	}
	return NewExponentialDecay(lr, steps, rate, opts...)
}

func piecewiseFromConfig(config map[string]any) (Schedule, error) {
	r := configread.New("schedules: PiecewiseConstantDecay config", config)
	r.Require("boundaries", "values")
	bounds, scalar, _ := r.Ints("boundaries")
	if scalar {
		r.Fail("\"boundaries\" must be a list of integers, got %s", configread.Show(config["boundaries"]))
	}
	values, _ := r.Floats("values")
	r.Name()
	if err := r.Err(); err != nil {
		return nil, err
	}
	return NewPiecewiseConstantDecay(bounds, values)
}

func cosineFromConfig(config map[string]any) (Schedule, error) {
	r := configread.New("schedules: CosineDecay config", config)
	r.Require("initial_learning_rate", "decay_steps")
	lr, _ := r.Float("initial_learning_rate")
	steps, _ := r.Int("decay_steps")
	var opts []Option
	if a, ok := r.Float("alpha"); ok {
		opts = append(opts, Alpha(a))
	}
	if target, ok := r.NullableFloat("warmup_target"); ok {
		opts = append(opts, WarmupTarget(target))
	}
	if ws, ok := r.Int("warmup_steps"); ok {
		opts = append(opts, WarmupSteps(ws))
	}
	r.Name()
	if err := r.Err(); err != nil {
		return nil, err
	}
	return NewCosineDecay(lr, steps, opts...)
}
