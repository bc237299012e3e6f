package constraints

import "github.com/goras-ml/goras/internal/configread"

// The registry maps Keras class names to functions that rebuild a
// constraint from its Config; a layer's kernel_constraint in a model file
// comes back through it.
var registry = configread.NewRegistry[Constraint]("constraints", "constraint")

func init() {
	registry.Builtin("MaxNorm", maxNormFromConfig, "max_norm")
	registry.Builtin("MinMaxNorm", minMaxNormFromConfig, "min_max_norm")
	registry.Builtin("NonNeg", func(c map[string]any) (Constraint, error) {
		if err := configread.New("constraints: NonNeg config", c).Err(); err != nil {
			return nil, err
		}
		return NonNeg(), nil
	}, "non_neg")
	registry.Builtin("UnitNorm", func(c map[string]any) (Constraint, error) {
		r := configread.New("constraints: UnitNorm config", c)
		axis := readAxis(r)
		if err := r.Err(); err != nil {
			return nil, err
		}
		return newUnitNorm(axis)
	}, "unit_norm")
}

// Register makes FromConfig and Get build constraints of the class
// className (what the constraint's Name returns, which a model file
// records) with fromConfig. Call it from an init function of the package
// that defines the constraint. It panics if the name is empty or taken
// (ignoring case and underscores) or fromConfig is nil.
func Register(className string, fromConfig func(config map[string]any) (Constraint, error)) {
	registry.Register(className, fromConfig)
}

// FromConfig rebuilds a constraint of the Keras class className ("MaxNorm",
// "MinMaxNorm", "NonNeg", "UnitNorm", their snake_case names, or a class
// registered with Register) from its config, as Config produces it or Keras
// 3 writes it. Missing keys take Keras's defaults (max_value 2; min_value
// 0, max_value 1, rate 1; axis 0); axis is an integer or a list of them.
// Numbers may be float64 or json.Number; unknown keys, wrong types and
// invalid values are errors.
func FromConfig(className string, config map[string]any) (Constraint, error) {
	return registry.Build(className, config)
}

// Get returns the constraint Keras knows by name ("max_norm", "NonNeg",
// ...) with Keras's defaults.
func Get(name string) (Constraint, error) { return FromConfig(name, nil) }

// Names lists the class names FromConfig knows, sorted.
func Names() []string { return registry.ClassNames() }

// Serialize is Keras's serialized form of c, as a layer's kernel_constraint
// holds it: {"module": "keras.constraints", "class_name": c.Name(),
// "config": c.Config(), "registered_name": null}.
func Serialize(c Constraint) map[string]any {
	return configread.Serialize("keras.constraints", c.Name(), c.Config(), registry.IsBuiltin(c.Name()))
}

// readAxis reads "axis", an integer or a list of integers; absent is nil,
// which the constructors take as Keras's default 0. (A one-element list is
// the same axis as the integer, and Config writes it as the integer.)
func readAxis(r *configread.Reader) []int {
	list, scalar, ok := r.Ints("axis")
	if !ok {
		return nil
	}
	if !scalar && len(list) == 0 {
		r.Fail("\"axis\" must be an integer or a non-empty list of integers, got []")
		return nil
	}
	out := make([]int, len(list))
	for i, a := range list {
		out[i] = int(a)
	}
	return out
}

func maxNormFromConfig(c map[string]any) (Constraint, error) {
	r := configread.New("constraints: MaxNorm config", c)
	maxValue := 2.0
	if x, ok := r.Float("max_value"); ok {
		maxValue = x
	}
	axis := readAxis(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return newMaxNorm(maxValue, axis)
}

func minMaxNormFromConfig(c map[string]any) (Constraint, error) {
	r := configread.New("constraints: MinMaxNorm config", c)
	v := map[string]float64{"min_value": 0, "max_value": 1, "rate": 1}
	for _, k := range []string{"min_value", "max_value", "rate"} {
		if x, ok := r.Float(k); ok {
			v[k] = x
		}
	}
	axis := readAxis(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return newMinMaxNorm(v["min_value"], v["max_value"], v["rate"], axis)
}
