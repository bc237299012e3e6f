package losses

import (
	"fmt"
	"maps"
	"strings"

	"github.com/goras-ml/goras/internal/confignum"
	"github.com/goras-ml/goras/internal/configread"
)

// The registry maps loss names (a Loss's Name, which a model file keeps as
// the loss's class_name, and Keras's aliases) to functions that rebuild the
// loss from its Config. Built-in and user losses go through the same table,
// so a model compiled with a loss of your own loads back once the program
// that loads it has registered that loss.
//
// Names are matched in lower case with underscores kept ("mse" and
// "mean_squared_error" are two names), unlike the vocabulary packages'
// configread.Registry: the table is configread's, the keys and messages
// are the losses' own.
var registry configread.Table[func(config map[string]any) (Loss, error)]

func init() {
	Register("mean_squared_error", mseFromConfig)
	Register("mse", mseFromConfig)
	Register("categorical_crossentropy", cceFromConfig)
	Register("sparse_categorical_crossentropy", scceFromConfig)
	Register("binary_crossentropy", bceFromConfig)
	// Keras 3's names for the other losses, with its aliases (mae, mape,
	// kld): keras.losses.get resolves the same strings.
	for _, l := range []struct {
		names      []string
		fromConfig func(map[string]any) (Loss, error)
	}{
		{[]string{"mean_absolute_error", "mae"}, plain("mean_absolute_error", MeanAbsoluteError{})},
		{[]string{"mean_absolute_percentage_error", "mape"}, plain("mean_absolute_percentage_error", MeanAbsolutePercentageError{})},
		{[]string{"huber"}, huberFromConfig},
		{[]string{"log_cosh"}, plain("log_cosh", LogCosh{})},
		{[]string{"kl_divergence", "kld"}, plain("kl_divergence", KLDivergence{})},
		{[]string{"poisson"}, plain("poisson", Poisson{})},
		{[]string{"hinge"}, plain("hinge", Hinge{})},
		{[]string{"squared_hinge"}, plain("squared_hinge", SquaredHinge{})},
		{[]string{"categorical_hinge"}, plain("categorical_hinge", CategoricalHinge{})},
		{[]string{"categorical_focal_crossentropy"}, cfceFromConfig},
		{[]string{"binary_focal_crossentropy"}, bfceFromConfig},
	} {
		for _, n := range l.names {
			Register(n, l.fromConfig)
		}
	}
}

// Register makes Get and FromConfig find a loss by name, case-insensitive.
// Register a loss of your own under the name its Name method returns (that
// is what a model file records), from an init function:
//
//	func init() { losses.Register("focal_loss", focalFromConfig) }
//
// fromConfig rebuilds the loss from its Config map; FromConfig hands it the
// map with every number as a float64, however it was decoded, and an empty
// map for Get. It panics if the name is empty, fromConfig is nil or the name
// is taken (programmer errors, found at start-up).
func Register(name string, fromConfig func(config map[string]any) (Loss, error)) {
	key := normalize(name)
	if key == "" || fromConfig == nil {
		panic("losses: Register needs a name and a function")
	}
	if !registry.Add(key, fromConfig) {
		panic("losses: Register called twice for " + key)
	}
}

// FromConfig rebuilds the loss registered as name from its config, as
// Config produces it or as it comes back from JSON. Keras's bookkeeping keys
// "name" and "reduction" (only "sum_over_batch_size", the one goras
// implements) are accepted by the built-in losses.
func FromConfig(name string, config map[string]any) (Loss, error) {
	fn, _ := registry.Get(normalize(name))
	if fn == nil {
		return nil, fmt.Errorf("losses: unknown loss %q; known: %s (a loss of your own must be registered with losses.Register before it is used or loaded)", name, strings.Join(Names(), ", "))
	}
	l, err := fn(floats(config))
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("losses: the function registered for %q returned no loss and no error", name)
	}
	return l, nil
}

// Get returns the loss registered as name with its defaults, e.g. "mse",
// "categorical_crossentropy", case-insensitive.
func Get(name string) (Loss, error) { return FromConfig(name, map[string]any{}) }

// Names lists the registered loss names and aliases, sorted.
func Names() []string { return registry.Keys() }

func normalize(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// floats copies a config with every number (json.Number, int, float32, ...)
// turned into a float64, at any depth, so that a loss's fromConfig needs one
// type assertion per number whatever decoded the config.
func floats(config map[string]any) map[string]any {
	out := make(map[string]any, len(config))
	for k, v := range config {
		out[k] = floatValue(v)
	}
	return out
}

func floatValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return floats(x)
	case []any:
		list := make([]any, len(x))
		for i, e := range x {
			list[i] = floatValue(e)
		}
		return list
	}
	if f, ok := confignum.Float(v); ok {
		return f
	}
	return v
}

// configReader reads a built-in loss's config: absent and null keys keep
// their defaults, a wrong type or an unknown key is an error naming the
// loss. Its bookkeeping (keys read, first error, keys left over) is
// configread's, as for every Keras config; its getters are the losses' own,
// which take null for the default, print values with %v and expect numbers
// as float64 (FromConfig's floats has made them so).
type configReader struct {
	cr   *configread.Reader
	axis any // Keras's "axis": checked by done, but never listed as accepted
}

func newConfigReader(loss string, config map[string]any) *configReader {
	axis, hasAxis := config["axis"]
	if hasAxis { // kept out of the bookkeeping, so that it is not listed
		config = maps.Clone(config)
		delete(config, "axis")
	}
	return &configReader{cr: configread.New("losses: "+loss+" config", config), axis: axis}
}

func (r *configReader) fail(format string, args ...any) { r.cr.Fail(format, args...) }

func (r *configReader) bool(key string) bool {
	v, _ := r.cr.Value(key)
	if v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		r.fail("%q must be true or false, got %v", key, v)
	}
	return b
}

func (r *configReader) fraction(key string) float64 {
	v, _ := r.cr.Value(key)
	if v == nil {
		return 0
	}
	f, ok := v.(float64)
	if !ok || f < 0 || f > 1 {
		r.fail("%q must be a number in [0, 1], got %v", key, v)
	}
	return f
}

// done checks Keras's bookkeeping keys, which every loss accepts, and
// reports the first error or any key nothing read.
func (r *configReader) done() error {
	if v, _ := r.cr.Value("name"); v != nil {
		if _, isString := v.(string); !isString {
			r.fail("\"name\" must be a string, got %v", v)
		}
	}
	if v, _ := r.cr.Value("reduction"); v != nil && v != "sum_over_batch_size" {
		r.fail("\"reduction\" = %v is not supported by goras (only \"sum_over_batch_size\", the mean over the batch)", v)
	}
	if r.axis != nil && r.axis != -1.0 {
		r.fail("\"axis\" = %v is not supported by goras (only -1, the last axis)", r.axis)
	}
	return r.cr.Err()
}

func mseFromConfig(config map[string]any) (Loss, error) {
	return MeanSquaredError{}, newConfigReader("mean_squared_error", config).done()
}

func cceFromConfig(config map[string]any) (Loss, error) {
	r := newConfigReader("categorical_crossentropy", config)
	l := CategoricalCrossentropy{FromLogits: r.bool("from_logits"), LabelSmoothing: r.fraction("label_smoothing")}
	return l, r.done()
}

func scceFromConfig(config map[string]any) (Loss, error) {
	r := newConfigReader("sparse_categorical_crossentropy", config)
	if v, _ := r.cr.Value("ignore_class"); v != nil {
		r.fail("\"ignore_class\" = %v is not supported by goras (only null)", v)
	}
	l := SparseCategoricalCrossentropy{FromLogits: r.bool("from_logits")}
	return l, r.done()
}

func bceFromConfig(config map[string]any) (Loss, error) {
	r := newConfigReader("binary_crossentropy", config)
	l := BinaryCrossentropy{FromLogits: r.bool("from_logits"), LabelSmoothing: r.fraction("label_smoothing")}
	return l, r.done()
}
