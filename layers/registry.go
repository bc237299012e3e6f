package layers

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/internal/confignum"
	"github.com/goras-ml/goras/internal/configread"
	"github.com/goras-ml/goras/regularizers"
)

// The registry maps Keras class names to functions that rebuild a layer from
// its Config, so that a model file's architecture can be read back.
//
// Adding a layer: in the layer's own file, register it from an init function
// and read its config with a ConfigReader, which accepts the numbers JSON
// decoding produces (float64 or json.Number), Keras's own bookkeeping keys,
// and rejects unknown keys:
//
//	func init() { Register("Dropout", dropoutFromConfig) }
//
//	func dropoutFromConfig(config map[string]any) (Layer, error) {
//		r := NewConfigReader("Dropout", config)
//		r.Require("rate")
//		rate := r.Float("rate", 0)
//		r.Null("noise_shape")
//		name := r.Name()
//		if err := r.Err(); err != nil {
//			return nil, err
//		}
//		return Dropout(rate, WithName(name)), nil
//	}
//
// The round trip Config() → JSON → FromConfig → Config() must give the same
// map; registry_test.go checks it for each registered layer it knows (add a
// case there for a new layer).
var (
	registryMu sync.RWMutex
	registry   = map[string]func(config map[string]any) (Layer, error){}
)

func init() {
	Register("InputLayer", inputFromConfig)
	Register("Flatten", flattenFromConfig)
	Register("Dense", denseFromConfig)
	Register("Activation", activationFromConfig)
}

// Register makes FromConfig build layers of the Keras class className with
// fromConfig. It panics if the name is empty, fromConfig is nil, or the name
// is already registered (programmer errors, found at start-up).
func Register(className string, fromConfig func(config map[string]any) (Layer, error)) {
	if className == "" || fromConfig == nil {
		panic("layers: Register needs a class name and a function")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[className]; dup {
		panic("layers: Register called twice for " + className)
	}
	registry[className] = fromConfig
}

// Registered lists the class names FromConfig knows, sorted.
func Registered() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FromConfig builds a layer of the Keras class className ("Dense", ...) from
// its config, as Config produces it or as it comes back from JSON. A config
// the layer would reject when built is reported here already. Layers of
// one's own are found once registered (Register, from an init function of
// the package that defines them): see the custom layer example.
func FromConfig(className string, config map[string]any) (Layer, error) {
	registryMu.RLock()
	fn := registry[className]
	registryMu.RUnlock()
	if fn == nil {
		return nil, fmt.Errorf("layers: unknown layer class %q; known: %s; a layer of your own must be registered with layers.Register, by the program that reads it, before it is read", className, strings.Join(Registered(), ", "))
	}
	l, err := fn(config)
	if err != nil {
		return nil, err
	}
	if c, ok := l.(interface{ configErr() error }); ok && c.configErr() != nil {
		return nil, fmt.Errorf("layers: %s config: %w", className, c.configErr())
	}
	return l, nil
}

// configErr is the construction error a layer would report when built.
func (b *base) configErr() error { return b.err }

// ConfigReader reads a layer config map. Each getter returns its default when
// the key is absent; the first wrong type or value is kept and returned by
// Err, together with any key no getter read.
//
// Its bookkeeping (the keys read, the first error, the keys left over) is
// configread's, which reads the other Keras configs the same way; the
// getters are the layers' own, with defaults and Keras's layer arguments.
type ConfigReader struct {
	class string
	cr    *configread.Reader
}

// NewConfigReader reads config for the layer class named class (used in
// error messages). A nil config reads as empty.
func NewConfigReader(class string, config map[string]any) *ConfigReader {
	return &ConfigReader{class: class, cr: configread.New("layers: "+class+" config", config)}
}

func (r *ConfigReader) fail(format string, args ...any) { r.cr.Fail(format, args...) }

func (r *ConfigReader) get(key string) (any, bool) { return r.cr.Value(key) }

// Require records an error for each key that is absent.
func (r *ConfigReader) Require(keys ...string) { r.cr.Require(keys...) }

// Name reads "name" (default "", which lets the model name the layer).
func (r *ConfigReader) Name() string { return r.String("name", "") }

// String reads a string.
func (r *ConfigReader) String(key, def string) string {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.fail("%q must be a string, got %s", key, configShow(v))
	}
	return s
}

// Bool reads a boolean.
func (r *ConfigReader) Bool(key string, def bool) bool {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.fail("%q must be true or false, got %s", key, configShow(v))
	}
	return b
}

// Float reads a number.
func (r *ConfigReader) Float(key string, def float64) float64 {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	f, ok := configNumber(v)
	if !ok {
		r.fail("%q must be a number, got %s", key, configShow(v))
	}
	return f
}

// Int reads an integer (a float64 from JSON must have no fraction).
func (r *ConfigReader) Int(key string, def int) int {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	n, ok := configInt(v)
	if !ok {
		r.fail("%q must be an integer, got %s", key, configShow(v))
	}
	return n
}

// Ints reads an integer or a list of integers, as Keras's kernel_size,
// strides and pool_size, which take 3 or [3, 3]; a single integer is
// repeated n times, a list must have n elements.
func (r *ConfigReader) Ints(key string, def []int, n int) []int {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	if x, ok := configInt(v); ok {
		out := make([]int, n)
		for i := range out {
			out[i] = x
		}
		return out
	}
	list, ok := v.([]any)
	if !ok || len(list) != n {
		r.fail("%q must be an integer or a list of %d integers, got %s", key, n, configShow(v))
		return def
	}
	out := make([]int, n)
	for i, e := range list {
		if out[i], ok = configInt(e); !ok {
			r.fail("%q must be an integer or a list of %d integers, got %s", key, n, configShow(v))
			return def
		}
	}
	return out
}

// Accept reads a Keras key that goras supports at one value only (e.g.
// data_format "channels_last"): absent or equal to want is fine, anything
// else is an error saying so. Equal is as printed by fmt, which lets
// "groups": "1" through where configread's Accept, comparing JSON, would
// not: kept as layers have always read it.
func (r *ConfigReader) Accept(key string, want any) {
	v, ok := r.get(key)
	if ok && fmt.Sprint(v) != fmt.Sprint(want) {
		r.fail("%q = %s is not supported by goras (only %s)", key, configShow(v), configShow(want))
	}
}

// Null reads Keras keys that goras does not support but accepts when null or
// absent, such as activity_regularizer.
func (r *ConfigReader) Null(keys ...string) { r.cr.Null(keys...) }

// Initializer reads an initializer given as a name ("he_normal") or as
// Keras's {"class_name": ..., "config": {...}}.
func (r *ConfigReader) Initializer(key string, def initializers.Initializer) initializers.Initializer {
	v, ok := r.get(key)
	if !ok || v == nil {
		return def
	}
	name, cfg, ok := configread.Ref(v)
	if !ok {
		r.fail("%q must be an initializer name or {\"class_name\": ..., \"config\": {...}}, got %s", key, configShow(v))
		return def
	}
	i, err := initializers.FromConfig(name, cfg)
	if err != nil {
		r.fail("%q: %v", key, err)
		return def
	}
	return i
}

// Regularizer reads a regularizer given as null (none), a name ("l2") or
// Keras's {"class_name": ..., "config": {...}}.
func (r *ConfigReader) Regularizer(key string) regularizers.Regularizer {
	v, ok := r.get(key)
	if !ok || v == nil {
		return nil
	}
	name, cfg, ok := configread.Ref(v)
	if !ok {
		r.fail("%q must be null, a regularizer name or {\"class_name\": ..., \"config\": {...}}, got %s", key, configShow(v))
		return nil
	}
	var (
		reg regularizers.Regularizer
		err error
	)
	if cfg == nil {
		reg, err = regularizers.Get(name)
	} else {
		reg, err = regularizers.FromConfig(name, cfg)
	}
	if err != nil {
		r.fail("%q: %v", key, err)
		return nil
	}
	return reg
}

// Constraint reads a constraint given as null (none), a name ("max_norm")
// or Keras's {"class_name": ..., "config": {...}}, through
// constraints.FromConfig.
func (r *ConfigReader) Constraint(key string) constraints.Constraint {
	v, ok := r.get(key)
	if !ok || v == nil {
		return nil
	}
	name, cfg, ok := configread.Ref(v)
	if !ok {
		r.fail("%q must be null, a constraint name or {\"class_name\": ..., \"config\": {...}}, got %s", key, configShow(v))
		return nil
	}
	c, err := constraints.FromConfig(name, cfg)
	if err != nil {
		r.fail("%q: %v", key, err)
		return nil
	}
	return c
}

// Err returns the first error met, else an error naming the keys nothing
// read. Keras's bookkeeping keys are accepted at the values goras implements:
// "trainable" true and "dtype" float32 or mixed_bfloat16 (which the model
// reading the config applies: DTypePolicy).
func (r *ConfigReader) Err() error {
	r.Accept("trainable", true)
	if v, ok := r.get("dtype"); ok {
		if _, known := policyName(v); !known {
			r.fail("\"dtype\" = %s is not supported by goras (float32 or mixed_bfloat16)", configShow(v))
		}
	}
	return r.cr.Err()
}

// DTypePolicy is the precision policy a layer's config gives in "dtype":
// "float32" (also when it gives none) or "mixed_bfloat16", written as the
// name or as Keras 3's serialized DTypePolicy {"class_name":
// "DTypePolicy", "config": {"name": ...}}; ok is false for any other.
func DTypePolicy(config map[string]any) (name string, ok bool) {
	return policyName(config["dtype"])
}

// DTypePolicyConfig is Keras 3's serialized DTypePolicy of name, as a
// layer config's "dtype".
func DTypePolicyConfig(name string) map[string]any {
	return map[string]any{"module": "keras", "class_name": "DTypePolicy", "config": map[string]any{"name": name}, "registered_name": nil}
}

func policyName(v any) (string, bool) {
	if m, ok := v.(map[string]any); ok {
		cfg, _ := m["config"].(map[string]any)
		if cfg == nil {
			return "", false
		}
		v = cfg["name"]
		if v == nil {
			return "", false
		}
	}
	switch v {
	case nil, "float32":
		return "float32", true
	case "mixed_bfloat16":
		return "mixed_bfloat16", true
	}
	return "", false
}

func configNumber(v any) (float64, bool) { return confignum.Float(v) }

// configInt is configread.Int as an int: an integer that an int holds.
func configInt(v any) (int, bool) {
	n, ok := configread.Int(v)
	return int(n), ok && int64(int(n)) == n
}

// configShow renders a config value for an error message, as configread
// renders those of the other Keras configs.
func configShow(v any) string { return configread.Show(v) }

func inputFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("InputLayer", config)
	name := r.Name()
	key := "batch_shape"
	if _, ok := config["batch_input_shape"]; ok {
		key = "batch_input_shape" // Keras 2's name for it
	}
	r.Require(key)
	v, _ := r.get(key)
	r.Accept("sparse", false)
	r.Accept("ragged", false)
	r.Null("input_tensor")
	if err := r.Err(); err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok || len(list) < 2 {
		return nil, fmt.Errorf("layers: InputLayer config: %q must be [null, d1, d2, ...], got %s", key, configShow(v))
	}
	shape := make([]int, len(list)-1)
	for i, d := range list[1:] {
		if shape[i], ok = configInt(d); !ok {
			return nil, fmt.Errorf("layers: InputLayer config: %q must be [null, d1, d2, ...] with integer sizes, got %s", key, configShow(v))
		}
	}
	l := Input(shape...)
	l.SetName(name)
	return l, nil
}

func flattenFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Flatten", config)
	name := r.Name()
	r.Accept("data_format", "channels_last")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Flatten(WithName(name)), nil
}

func denseFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Dense", config)
	r.Require("units")
	units := r.Int("units", 0)
	opts := []Option{
		WithName(r.Name()),
		r.kernelBiasOptions("kernel"),
	}
	r.Null("activity_regularizer", "lora_rank", "lora_alpha", "quantization_config")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Dense(units, opts...), nil
}

func activationFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Activation", config)
	r.Require("activation")
	act := r.String("activation", "")
	name := r.Name()
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Activation(act, WithName(name)), nil
}
