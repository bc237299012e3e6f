// Package configread reads Keras get_config maps for the vocabulary packages
// (optimizers, schedules, initializers, regularizers, constraints), the way
// layers.ConfigReader reads layer configs: numbers may be float64 (from
// encoding/json), json.Number (with UseNumber) or Go numbers (built by code);
// an absent key keeps its default; a wrong type, a missing required key or
// a key nothing read is an error that names the key and what was expected.
//
// A Reader keeps the first error and returns it from Err, so a fromConfig
// function reads every key first and checks once. layers.ConfigReader and
// the losses' config reader keep their bookkeeping (keys read, first error,
// keys left over) in a Reader, with getters of their own on top.
package configread

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/goras-ml/goras/internal/confignum"
)

// Reader reads one config map. It is not safe for concurrent use.
type Reader struct {
	prefix string // e.g. "optimizers: Adam config", the start of every error
	m      map[string]any
	used   map[string]bool
	err    error
}

// New reads config; prefix starts every error message, e.g.
// "optimizers: Adam config". A nil config reads as empty.
func New(prefix string, config map[string]any) *Reader {
	return &Reader{prefix: prefix, m: config, used: map[string]bool{}}
}

// Fail records an error (the first one wins), for checks a fromConfig
// function makes itself.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s", r.prefix, fmt.Sprintf(format, args...))
	}
}

// Value returns the raw value of key and whether it is present (null
// included), and marks the key as read.
func (r *Reader) Value(key string) (any, bool) {
	r.used[key] = true
	v, ok := r.m[key]
	return v, ok
}

// Has reports whether key is present with a non-null value. It does not
// mark the key as read.
func (r *Reader) Has(key string) bool { return r.m[key] != nil }

// Require records an error for each key that is absent.
func (r *Reader) Require(keys ...string) {
	for _, k := range keys {
		if _, ok := r.m[k]; !ok {
			r.Fail("missing %q", k)
		}
	}
}

// Float reads a number: (value, true) when present, (0, false) when absent.
// null is an error: use NullableFloat for keys Keras writes as null.
func (r *Reader) Float(key string) (float64, bool) {
	v, ok := r.Value(key)
	if !ok {
		return 0, false
	}
	f, isNum := confignum.Float(v)
	if !isNum {
		r.Fail("%q must be a number, got %s", key, Show(v))
		return 0, false
	}
	return f, true
}

// NullableFloat reads a number Keras may write as null (None): (value,
// true) for a number, (0, false) when absent or null.
func (r *Reader) NullableFloat(key string) (float64, bool) {
	if v, ok := r.m[key]; ok && v == nil {
		r.used[key] = true
		return 0, false
	}
	return r.Float(key)
}

// Int reads an integer; a float64 from JSON must have no fraction.
func (r *Reader) Int(key string) (int64, bool) {
	v, ok := r.Value(key)
	if !ok {
		return 0, false
	}
	n, isInt := Int(v)
	if !isInt {
		r.Fail("%q must be an integer, got %s", key, Show(v))
		return 0, false
	}
	return n, true
}

// Bool reads true or false.
func (r *Reader) Bool(key string) (bool, bool) {
	v, ok := r.Value(key)
	if !ok {
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		r.Fail("%q must be true or false, got %s", key, Show(v))
		return false, false
	}
	return b, true
}

// String reads a string.
func (r *Reader) String(key string) (string, bool) {
	v, ok := r.Value(key)
	if !ok {
		return "", false
	}
	s, isString := v.(string)
	if !isString {
		r.Fail("%q must be a string, got %s", key, Show(v))
		return "", false
	}
	return s, true
}

// Floats reads a list of numbers.
func (r *Reader) Floats(key string) ([]float64, bool) {
	v, ok := r.Value(key)
	if !ok {
		return nil, false
	}
	list, isList := asList(v)
	out := make([]float64, len(list))
	for i, e := range list {
		if out[i], ok = confignum.Float(e); !ok {
			isList = false
		}
	}
	if !isList {
		r.Fail("%q must be a list of numbers, got %s", key, Show(v))
		return nil, false
	}
	return out, true
}

// Ints reads an integer or a list of integers (as Keras's axis=0 or
// axis=[0, 1, 2]); scalar reports which it was.
func (r *Reader) Ints(key string) (ints []int64, scalar, ok bool) {
	v, present := r.Value(key)
	if !present {
		return nil, false, false
	}
	if n, isInt := Int(v); isInt {
		return []int64{n}, true, true
	}
	list, isList := asList(v)
	out := make([]int64, len(list))
	for i, e := range list {
		var isInt bool
		if out[i], isInt = Int(e); !isInt {
			isList = false
		}
	}
	if !isList {
		r.Fail("%q must be an integer or a list of integers, got %s", key, Show(v))
		return nil, false, false
	}
	return out, false, true
}

// asList returns the elements of a list as decoded from JSON ([]any) or as
// a Config method builds it ([]int64, []int, []float64).
func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []int64:
		return boxed(x), true
	case []int:
		return boxed(x), true
	case []float64:
		return boxed(x), true
	}
	return nil, false
}

func boxed[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// Name reads Keras's "name" key, a string or null, which goras's
// vocabulary does not use (names only matter to layers); any other type is
// an error.
func (r *Reader) Name() {
	if v, ok := r.Value("name"); ok && v != nil {
		if _, isString := v.(string); !isString {
			r.Fail("\"name\" must be a string, got %s", Show(v))
		}
	}
}

// Null reads Keras keys that goras does not implement but accepts when null
// or absent.
func (r *Reader) Null(keys ...string) {
	for _, k := range keys {
		if v, ok := r.Value(k); ok && v != nil {
			r.Fail("%q = %s is not supported by goras (only null)", k, Show(v))
		}
	}
}

// Accept reads a Keras key that goras supports at one value only: absent or
// equal to want (compared as JSON) is fine, anything else is an error.
func (r *Reader) Accept(key string, want any) {
	if v, ok := r.Value(key); ok && Show(v) != Show(want) {
		r.Fail("%q = %s is not supported by goras (only %s)", key, Show(v), Show(want))
	}
}

// Err returns the first error met, else an error naming the keys nothing
// read and the ones that can be read.
func (r *Reader) Err() error {
	if r.err != nil {
		return r.err
	}
	var extra, known []string
	for k := range r.m {
		if !r.used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	for k := range r.used {
		known = append(known, k)
	}
	sort.Strings(extra)
	sort.Strings(known)
	return fmt.Errorf("%s: unknown key(s) %s; accepted: %s", r.prefix, strings.Join(extra, ", "), strings.Join(known, ", "))
}

// Int returns v as an integer when it is one: an int, an int64, a
// json.Number without fraction, or a float64 without fraction (JSON).
func Int(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
	}
	f, ok := confignum.Float(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// Ref splits Keras's reference to an object: a bare class name ("he_normal"),
// or {"class_name": ..., "config": {...}} with Keras's bookkeeping keys
// "module" and "registered_name" allowed beside them. cfg is nil when there
// is no config.
func Ref(v any) (className string, cfg map[string]any, ok bool) {
	switch x := v.(type) {
	case string:
		return x, nil, true
	case map[string]any:
		className, ok = x["class_name"].(string)
		if !ok {
			return "", nil, false
		}
		for k := range x {
			if !slices.Contains([]string{"class_name", "config", "module", "registered_name"}, k) {
				return "", nil, false
			}
		}
		if c, present := x["config"]; present && c != nil {
			if cfg, ok = c.(map[string]any); !ok {
				return "", nil, false
			}
		}
		return className, cfg, true
	}
	return "", nil, false
}

// Serialize is Keras's serialized form of an object of the module module
// (e.g. "keras.initializers"): {"module", "class_name", "config",
// "registered_name"}. A class a user registered has no Keras module: its
// module is null and registered_name is its class name, as Keras writes
// registered custom objects.
func Serialize(module, className string, config map[string]any, builtin bool) map[string]any {
	if !builtin {
		return map[string]any{"module": nil, "class_name": className, "config": config, "registered_name": className}
	}
	return map[string]any{"module": module, "class_name": className, "config": config, "registered_name": nil}
}

// Show renders a config value for an error message, shortened.
func Show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}
