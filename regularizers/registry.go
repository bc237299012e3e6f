package regularizers

import "github.com/goras-ml/goras/internal/configread"

// The registry maps Keras class names to functions that rebuild a
// regularizer from its Config; a layer's kernel_regularizer in a model file
// comes back through it.
var registry = configread.NewRegistry[Regularizer]("regularizers", "regularizer")

func init() {
	registry.Builtin("L1", func(c map[string]any) (Regularizer, error) { return fromConfig("L1", c, "l1") }, "l1")
	registry.Builtin("L2", func(c map[string]any) (Regularizer, error) { return fromConfig("L2", c, "l2") }, "l2")
	registry.Builtin("L1L2", func(c map[string]any) (Regularizer, error) { return fromConfig("L1L2", c, "l1", "l2") }, "l1_l2")
}

// Register makes FromConfig rebuild regularizers of the class className
// (what the regularizer's Name returns) with fromConfig. Call it from an
// init function of the package that defines the regularizer. It panics if
// the name is empty or taken (ignoring case and underscores) or fromConfig
// is nil.
func Register(className string, fromConfig func(config map[string]any) (Regularizer, error)) {
	registry.Register(className, fromConfig)
}

// FromConfig rebuilds a regularizer of the Keras class className ("L1",
// "L2", "L1L2", their snake_case names, or a class registered with
// Register) from its config, as Config produces it or Keras writes it.
// Missing keys take the Keras class defaults: 0.01 for L1 and L2, 0 for
// either factor of L1L2. Numbers may be float64 or json.Number; unknown
// keys, wrong types and negative factors are errors.
func FromConfig(className string, config map[string]any) (Regularizer, error) {
	return registry.Build(className, config)
}

// Names lists the class names FromConfig knows, sorted.
func Names() []string { return registry.ClassNames() }

// Serialize is Keras's serialized form of r, as a layer's
// kernel_regularizer holds it: {"module": "keras.regularizers",
// "class_name": r.Name(), "config": r.Config(), "registered_name": null}.
func Serialize(r Regularizer) map[string]any {
	return configread.Serialize("keras.regularizers", r.Name(), r.Config(), registry.IsBuiltin(r.Name()))
}

// fromConfig reads the factors keys of class; an absent factor is 0.01 for
// L1 and L2 (one key) and 0 for L1L2, as Keras's constructors default them.
func fromConfig(class string, config map[string]any, keys ...string) (Regularizer, error) {
	r := configread.New("regularizers: "+class+" config", config)
	f := map[string]float64{}
	for _, k := range keys {
		f[k] = 0
		if len(keys) == 1 {
			f[k] = Default
		}
		if x, ok := r.Float(k); ok {
			f[k] = x
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return newL1L2(class, f["l1"], f["l2"])
}
