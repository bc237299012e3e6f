package optimizers

import (
	"math"
	"sort"
	"strings"

	"github.com/goras-ml/goras/internal/configread"
	"github.com/goras-ml/goras/optimizers/schedules"
)

// The registry maps Keras class names to functions that rebuild an
// optimizer from its Config. Model files, checkpoints, the command line and
// compile(optimizer="adam") all come through it, so there is one way from a
// description to an optimizer.
var registry = configread.NewRegistry[Optimizer]("optimizers", "optimizer")

// keys maps each Keras get_config key of an optimizer's own to the option
// that sets it; fromConfig reads a class's keys through it.
var keys = map[string]struct {
	float func(float64) Option
	bool  func(bool) Option
}{
	"momentum":                             {float: Momentum},
	"nesterov":                             {bool: Nesterov},
	"beta_1":                               {float: Beta1},
	"beta_2":                               {float: Beta2},
	"epsilon":                              {float: Epsilon},
	"amsgrad":                              {bool: Amsgrad},
	"rho":                                  {float: Rho},
	"centered":                             {bool: Centered},
	"initial_accumulator_value":            {float: InitialAccumulatorValue},
	"learning_rate_power":                  {float: LearningRatePower},
	"l1_regularization_strength":           {float: L1RegularizationStrength},
	"l2_regularization_strength":           {float: L2RegularizationStrength},
	"l2_shrinkage_regularization_strength": {float: L2ShrinkageRegularizationStrength},
	"beta":                                 {float: Beta},
}

func init() {
	registry.Builtin("SGD", fromConfig("SGD", wrap(NewSGD), "momentum", "nesterov"))
	registry.Builtin("Adam", fromConfig("Adam", wrap(NewAdam), "beta_1", "beta_2", "epsilon", "amsgrad"))
	registry.Builtin("AdamW", fromConfig("AdamW", wrap(NewAdamW), "beta_1", "beta_2", "epsilon", "amsgrad"))
	registry.Builtin("RMSprop", fromConfig("RMSprop", wrap(NewRMSprop), "rho", "momentum", "epsilon", "centered"))
	registry.Builtin("Adagrad", fromConfig("Adagrad", wrap(NewAdagrad), "initial_accumulator_value", "epsilon"))
	registry.Builtin("Nadam", fromConfig("Nadam", wrap(NewNadam), "beta_1", "beta_2", "epsilon"))
	registry.Builtin("Adamax", fromConfig("Adamax", wrap(NewAdamax), "beta_1", "beta_2", "epsilon"))
	registry.Builtin("Adadelta", fromConfig("Adadelta", wrap(NewAdadelta), "rho", "epsilon"))
	registry.Builtin("Lion", fromConfig("Lion", wrap(NewLion), "beta_1", "beta_2"))
	registry.Builtin("Ftrl", fromConfig("Ftrl", wrap(NewFtrl), "learning_rate_power", "initial_accumulator_value",
		"l1_regularization_strength", "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta"))
}

// wrap turns a constructor of one optimizer type into one of Optimizer.
func wrap[O Optimizer](newFn func(...Option) (O, error)) func(...Option) (Optimizer, error) {
	return func(opts ...Option) (Optimizer, error) {
		o, err := newFn(opts...)
		if err != nil {
			return nil, err
		}
		return o, nil
	}
}

// Register makes FromConfig and Get build optimizers of the class className
// (what the optimizer's Name returns, which a model file records) with
// fromConfig. Call it from an init function of the package that defines
// the optimizer. It panics if the name is empty or taken (ignoring case and
// underscores) or fromConfig is nil.
func Register(className string, fromConfig func(config map[string]any) (Optimizer, error)) {
	registry.Register(className, fromConfig)
}

// FromConfig rebuilds an optimizer of the Keras class className ("SGD",
// "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam", "Adamax", "Adadelta",
// "Lion", "Ftrl", or one registered with Register; case and underscores
// are ignored, so "adam" works too) from its get_config, as Config
// produces it or Keras 3 writes it. Absent keys take Keras's defaults; a
// key given is used as given, zero included. learning_rate is a number or a
// serialized schedule ({"class_name": "CosineDecay", "config": {...}}),
// read by schedules.FromConfig. Numbers may be float64 or json.Number.
// Unknown keys, wrong types and invalid values are errors; Keras's keys for
// what goras does not implement (loss_scale_factor,
// gradient_accumulation_steps) are accepted at their "off" values (null),
// and "name" is accepted and not kept.
func FromConfig(className string, config map[string]any) (Optimizer, error) {
	return registry.Build(className, config)
}

// Get returns a new optimizer with Keras's defaults from its name, as
// compile(optimizer="adam") accepts it: "sgd", "adam", "rmsprop", ...,
// case-insensitive. It is FromConfig with an empty config.
func Get(name string) (Optimizer, error) { return FromConfig(name, nil) }

// Names returns the names Get knows, lower case and sorted: "adagrad",
// "adam", ..., "sgd", and those of registered optimizers.
func Names() []string {
	names := registry.ClassNames()
	for i, n := range names {
		names[i] = strings.ToLower(n)
	}
	sort.Strings(names)
	return names
}

// fromConfig returns the function that reads the config of class: the keys
// every optimizer has, then the class's own keys, into options for newFn.
func fromConfig(class string, newFn func(...Option) (Optimizer, error), own ...string) func(map[string]any) (Optimizer, error) {
	return func(config map[string]any) (Optimizer, error) {
		r := configread.New("optimizers: "+class+" config", config)
		opts := baseOptions(r)
		for _, k := range own {
			if set := keys[k]; set.float != nil {
				if x, ok := r.Float(k); ok {
					opts = append(opts, set.float(x))
				}
			} else if b, ok := r.Bool(k); ok {
				opts = append(opts, set.bool(b))
			}
		}
		if err := r.Err(); err != nil {
			return nil, err
		}
		return newFn(opts...)
	}
}

// baseOptions reads the keys of Keras's BaseOptimizer.get_config.
func baseOptions(r *configread.Reader) []Option {
	var opts []Option
	if v, ok := r.Value("learning_rate"); ok {
		if s, isSchedule := v.(map[string]any); isSchedule {
			opts = append(opts, scheduleOption(r, s))
		} else if lr, ok := r.Float("learning_rate"); ok {
			opts = append(opts, LearningRate(lr))
		}
	}
	for _, k := range []struct {
		key string
		opt func(float64) Option
	}{{"weight_decay", WeightDecay}, {"clipnorm", Clipnorm}, {"clipvalue", Clipvalue}, {"global_clipnorm", GlobalClipnorm}} {
		if x, ok := r.NullableFloat(k.key); ok {
			opts = append(opts, k.opt(x))
		}
	}
	r.Name()
	if on, ok := r.Bool("use_ema"); ok {
		opts = append(opts, UseEMA(on))
	}
	if m, ok := r.NullableFloat("ema_momentum"); ok {
		opts = append(opts, EMAMomentum(m))
	}
	if v, ok := r.Value("ema_overwrite_frequency"); ok && v != nil {
		if n, ok := r.Int("ema_overwrite_frequency"); ok && n >= 0 && n <= math.MaxInt32 {
			opts = append(opts, EMAOverwriteFrequency(int(n)))
		} else if ok {
			r.Fail("\"ema_overwrite_frequency\" must be an integer >= 1 or null, got %d", n)
		}
	}
	r.Null("loss_scale_factor", "gradient_accumulation_steps")
	return opts
}

// scheduleOption reads a serialized schedule given as learning_rate.
func scheduleOption(r *configread.Reader, v map[string]any) Option {
	class, cfg, ok := configread.Ref(v)
	if !ok {
		r.Fail("\"learning_rate\" must be a number or a schedule {\"class_name\": ..., \"config\": {...}}, got %s", configread.Show(v))
		return nil
	}
	s, err := schedules.FromConfig(class, cfg)
	if err != nil {
		r.Fail("\"learning_rate\": %v", err)
		return nil
	}
	return Schedule(s)
}
