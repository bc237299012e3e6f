// Package confignum reads numbers out of decoded configs (Keras get_config
// maps), which hold float64 after encoding/json, json.Number with
// UseNumber, or Go numbers when built by code. Initializers, regularizers
// and layers all read their configs through it.
package confignum

import "encoding/json"

// Float returns v as a float64 and whether v is a number at all.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}
