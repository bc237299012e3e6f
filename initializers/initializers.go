package initializers

import (
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/internal/configread"
	"github.com/goras-ml/goras/tensor"
)

// Initializer fills a weight tensor with its first values.
type Initializer interface {
	// Initialize overwrites every element of t. Random initializers draw from
	// rng and nothing else; constant ones ignore it (it may be nil).
	Initialize(t *tensor.Tensor, rng *rand.Rand)
	// Name is the Keras class name, the class_name of its serialized
	// config: "GlorotUniform", "Zeros", ...
	Name() string
	// Config is the Keras get_config, e.g. {"mean": 0, "stddev": 0.05,
	// "seed": nil}; an empty map for Zeros and Ones. Each call returns a new
	// map.
	Config() map[string]any
}

// ComputeFans returns the fan-in and fan-out of a weight of the given shape,
// as Keras's compute_fans:
//
//	rank 0                 → (1, 1)
//	rank 1 (n)             → (n, n)
//	rank 2 (in, out)       → (in, out)
//	rank ≥3 (kh, kw, ..., in, out) → (in·r, out·r), r = kh·kw·… (all but the last two)
func ComputeFans(shape []int) (fanIn, fanOut float64) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return float64(shape[0]), float64(shape[0])
	case 2:
		return float64(shape[0]), float64(shape[1])
	}
	receptive := 1.0
	for _, d := range shape[:len(shape)-2] {
		receptive *= float64(d)
	}
	return float64(shape[len(shape)-2]) * receptive, float64(shape[len(shape)-1]) * receptive
}

// The registry maps Keras class names (and Keras's snake_case strings and
// aliases "zero", "one", "normal", "uniform") to functions that rebuild an
// initializer from its Config; a layer's kernel_initializer in a model file
// comes back through it.
var registry = configread.NewRegistry[Initializer]("initializers", "initializer")

func init() {
	registry.Builtin("Zeros", constantFromConfig("Zeros", Zeros), "zeros", "zero")
	registry.Builtin("Ones", constantFromConfig("Ones", Ones), "ones", "one")
	registry.Builtin("Constant", func(c map[string]any) (Initializer, error) {
		r := configread.New("initializers: Constant config", c)
		v, _ := r.Float("value")
		if err := r.Err(); err != nil {
			return nil, err
		}
		return newConstant(v)
	}, "constant")
	registry.Builtin("RandomNormal", normalFromConfig("RandomNormal"), "random_normal", "normal")
	registry.Builtin("TruncatedNormal", normalFromConfig("TruncatedNormal"), "truncated_normal")
	registry.Builtin("RandomUniform", uniformFromConfig, "random_uniform", "uniform")
	registry.Builtin("VarianceScaling", varianceScalingFromConfig, "variance_scaling")
	for _, n := range named {
		registry.Builtin(n.class, func(c map[string]any) (Initializer, error) {
			r := configread.New("initializers: "+n.class+" config", c)
			seed(r)
			if err := r.Err(); err != nil {
				return nil, err
			}
			return newVarianceScaling(n.class, n.scale, n.mode, n.dist)
		}, n.alias)
	}
}

// Register makes FromConfig and Get build initializers of the class
// className (what the initializer's Name returns, which a model file
// records) with fromConfig. Call it from an init function of the package
// that defines the initializer. It panics if the name is empty or taken
// (ignoring case and underscores) or fromConfig is nil.
func Register(className string, fromConfig func(config map[string]any) (Initializer, error)) {
	registry.Register(className, fromConfig)
}

// Names returns the class names FromConfig knows, sorted. (FromConfig and
// Get also take Keras's snake_case strings, e.g. "glorot_uniform", and the
// aliases "zero", "one", "normal" and "uniform".)
func Names() []string { return registry.ClassNames() }

// Get returns the initializer Keras knows by name, with Keras's default
// parameters. Names are case-insensitive and may be the Keras class name or
// its snake_case string ("HeNormal", "he_normal"). An unknown name is an
// error that lists the known ones.
func Get(name string) (Initializer, error) {
	return FromConfig(name, nil)
}

// FromConfig builds the initializer of the Keras class className with the
// parameters in config, as Config produces it or Keras 3 writes it.
// Missing keys take Keras's defaults; a "seed" key (null or an integer) is
// accepted and not used, since goras's seeds come from the model's rng.
// Numbers may be float64 or json.Number, as decoded from a model file.
// Unknown keys, wrong types and invalid values are errors.
func FromConfig(className string, config map[string]any) (Initializer, error) {
	return registry.Build(className, config)
}

// Serialize is Keras's serialized form of i, as a layer's
// kernel_initializer holds it: {"module": "keras.initializers",
// "class_name": i.Name(), "config": i.Config(), "registered_name": null}.
func Serialize(i Initializer) map[string]any {
	return configread.Serialize("keras.initializers", i.Name(), i.Config(), registry.IsBuiltin(i.Name()))
}

// seed reads Keras's "seed" key: null or an integer, not used.
func seed(r *configread.Reader) {
	if v, ok := r.Value("seed"); ok && v != nil {
		if _, isInt := configread.Int(v); !isInt {
			r.Fail("\"seed\" must be null or an integer, got %s", configread.Show(v))
		}
	}
}

func constantFromConfig(class string, newFn func() Initializer) func(map[string]any) (Initializer, error) {
	return func(c map[string]any) (Initializer, error) {
		if err := configread.New("initializers: "+class+" config", c).Err(); err != nil {
			return nil, err
		}
		return newFn(), nil
	}
}

func normalFromConfig(class string) func(map[string]any) (Initializer, error) {
	return func(c map[string]any) (Initializer, error) {
		r := configread.New("initializers: "+class+" config", c)
		mean, stddev := 0.0, 0.05
		if x, ok := r.Float("mean"); ok {
			mean = x
		}
		if x, ok := r.Float("stddev"); ok {
			stddev = x
		}
		seed(r)
		if err := r.Err(); err != nil {
			return nil, err
		}
		return newRandomNormal(class, mean, stddev)
	}
}

func uniformFromConfig(c map[string]any) (Initializer, error) {
	r := configread.New("initializers: RandomUniform config", c)
	lo, hi := -0.05, 0.05
	if x, ok := r.Float("minval"); ok {
		lo = x
	}
	if x, ok := r.Float("maxval"); ok {
		hi = x
	}
	seed(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return newRandomUniform(lo, hi)
}

func varianceScalingFromConfig(c map[string]any) (Initializer, error) {
	r := configread.New("initializers: VarianceScaling config", c)
	scale, mode, dist := 1.0, "fan_in", "truncated_normal"
	if x, ok := r.Float("scale"); ok {
		scale = x
	}
	if x, ok := r.String("mode"); ok {
		mode = x
	}
	if x, ok := r.String("distribution"); ok {
		dist = x
	}
	seed(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return newVarianceScaling("", scale, mode, dist)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
