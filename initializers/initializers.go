package initializers

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/goras-ml/goras/internal/confignum"
	"github.com/goras-ml/goras/tensor"
)

// Initializer fills a weight tensor with its first values.
type Initializer interface {
	// Initialize overwrites every element of t. Random initializers draw from
	// rng and nothing else; constant ones ignore it (it may be nil).
	Initialize(t *tensor.Tensor, rng *rand.Rand)
	// Name is the Keras snake_case name: "glorot_uniform", "zeros", ...
	Name() string
	// Config is the Keras get_config, e.g. {"mean": 0, "stddev": 0.05};
	// an empty map for initializers without parameters. Each call returns a
	// new map.
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

// entry is one registered initializer: its canonical name and a maker that
// builds it from a (possibly empty) config.
type entry struct {
	name  string
	build func(c config) (Initializer, error)
}

// registry maps a key (lower case, underscores removed, so "glorot_uniform"
// and "GlorotUniform" meet) to its entry. Keras's aliases "zero", "one",
// "normal" and "uniform" are included.
var registry = map[string]entry{}

func register(name string, build func(c config) (Initializer, error), aliases ...string) {
	e := entry{name, build}
	registry[key(name)] = e
	for _, a := range aliases {
		registry[key(a)] = e
	}
}

func key(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "")
}

func init() {
	register("zeros", func(c config) (Initializer, error) {
		return c.build(func() (Initializer, error) { return Zeros(), nil })
	}, "zero")
	register("ones", func(c config) (Initializer, error) {
		return c.build(func() (Initializer, error) { return Ones(), nil })
	}, "one")
	register("constant", func(c config) (Initializer, error) {
		v, err := c.float("value", 0)
		return c.build(func() (Initializer, error) { return newConstant(v) }, err)
	})
	register("random_normal", func(c config) (Initializer, error) {
		mean, err1 := c.float("mean", 0)
		stddev, err2 := c.float("stddev", 0.05)
		return c.build(func() (Initializer, error) { return newRandomNormal("random_normal", mean, stddev) }, err1, err2)
	}, "normal")
	register("truncated_normal", func(c config) (Initializer, error) {
		mean, err1 := c.float("mean", 0)
		stddev, err2 := c.float("stddev", 0.05)
		return c.build(func() (Initializer, error) { return newRandomNormal("truncated_normal", mean, stddev) }, err1, err2)
	})
	register("random_uniform", func(c config) (Initializer, error) {
		lo, err1 := c.float("minval", -0.05)
		hi, err2 := c.float("maxval", 0.05)
		return c.build(func() (Initializer, error) { return newRandomUniform(lo, hi) }, err1, err2)
	}, "uniform")
	register("variance_scaling", func(c config) (Initializer, error) {
		scale, err1 := c.float("scale", 1)
		mode, err2 := c.string("mode", "fan_in")
		dist, err3 := c.string("distribution", "truncated_normal")
		return c.build(func() (Initializer, error) { return newVarianceScaling("", scale, mode, dist) }, err1, err2, err3)
	})
	for _, n := range named {
		register(n.name, func(c config) (Initializer, error) {
			return c.build(func() (Initializer, error) { return newVarianceScaling(n.name, n.scale, n.mode, n.dist) })
		})
	}
}

// Names returns the canonical names Get and FromConfig accept, sorted.
// (Get also accepts Keras's class names, e.g. "GlorotUniform", and the
// aliases "zero", "one", "normal" and "uniform".)
func Names() []string {
	seen := map[string]bool{}
	var names []string
	for _, e := range registry {
		if !seen[e.name] {
			seen[e.name] = true
			names = append(names, e.name)
		}
	}
	sort.Strings(names)
	return names
}

func lookup(name string) (entry, error) {
	e, ok := registry[key(name)]
	if !ok {
		return entry{}, fmt.Errorf("initializers: unknown initializer %q; known: %s", name, strings.Join(Names(), ", "))
	}
	return e, nil
}

// Get returns the initializer Keras knows by name, with Keras's default
// parameters. Names are case-insensitive and may be snake_case or the Keras
// class name ("he_normal", "HeNormal"). An unknown name is an error that
// lists the known ones.
func Get(name string) (Initializer, error) {
	return FromConfig(name, nil)
}

// FromConfig builds the initializer named name with the parameters in config
// (as produced by Config; missing keys take Keras's defaults, a "seed" key is
// accepted and ignored since seeds come from the rng). Numbers may be any Go
// numeric type or json.Number, as decoded from a model file. Unknown keys,
// wrong types and invalid values are errors.
func FromConfig(name string, config map[string]any) (Initializer, error) {
	e, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return e.build(newConfig(e.name, config))
}

// config reads parameters out of a config map and remembers which keys it
// used, so that done can reject the rest.
type config struct {
	name string
	m    map[string]any
	used map[string]bool
}

func newConfig(name string, m map[string]any) config {
	return config{name: name, m: m, used: map[string]bool{"seed": true}}
}

func (c config) float(k string, def float64) (float64, error) {
	c.used[k] = true
	v, ok := c.m[k]
	if !ok {
		return def, nil
	}
	if f, ok := confignum.Float(v); ok {
		return f, nil
	}
	if x, ok := v.(json.Number); ok {
		return 0, fmt.Errorf("initializers: %s: %q must be a number, got %q", c.name, k, x)
	}
	return 0, fmt.Errorf("initializers: %s: %q must be a number, got %T %v", c.name, k, v, v)
}

func (c config) string(k, def string) (string, error) {
	c.used[k] = true
	v, ok := c.m[k]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("initializers: %s: %q must be a string, got %T %v", c.name, k, v, v)
	}
	return s, nil
}

// done reports the keys of the config that no parameter read.
func (c config) done() error {
	var extra []string
	for k := range c.m {
		if !c.used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	var want []string
	for k := range c.used {
		if k != "seed" {
			want = append(want, k)
		}
	}
	sort.Strings(want)
	return fmt.Errorf("initializers: %s: unknown config key(s) %v; accepted: %v", c.name, extra, want)
}

// build returns the first of errs, then done's error, then newFn's result.
func (c config) build(newFn func() (Initializer, error), errs ...error) (Initializer, error) {
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	return newFn()
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
