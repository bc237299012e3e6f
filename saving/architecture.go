package saving

import (
	"encoding/json"
	"maps"
)

// sameArchitecture reports whether two architectures (Model.ToJSON) are
// one but for the layers' precision policies ("dtype"): a policy is how a
// layer computes, not what it is, and the one written depends on the
// machine (mixed_bfloat16 falls back to float32 where bfloat16 products
// are not fast), so a checkpoint of a mixed_bfloat16 run restores on a
// machine without them, and into a model given another policy, as Keras's
// BackupAndRestore restores weights whatever the policy.
func sameArchitecture(a, b string) bool {
	if a == b {
		return true
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	ja, err1 := json.Marshal(withoutPolicies(x))
	jb, err2 := json.Marshal(withoutPolicies(y))
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// withoutPolicies is v with every "dtype" key of its objects left out.
func withoutPolicies(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := maps.Clone(v)
		delete(out, "dtype")
		for k, e := range out {
			out[k] = withoutPolicies(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutPolicies(e)
		}
		return out
	}
	return v
}
