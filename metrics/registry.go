package metrics

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/goras-ml/goras/internal/configread"
)

// builtins are the names Get resolves itself; Register cannot take them.
var builtins = []string{"accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy"}

// registry holds the metrics Register adds, under their keys.
var registry configread.Table[func(pred, target []int) (Metric, error)]

// normalize is the form Get and Register match names in: trimmed, lower case,
// underscores kept.
func normalize(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Register makes Get, and so CompileOptions.Metrics, find a metric of your
// own by name, case-insensitive:
//
//	func init() { metrics.Register("macro_f1", newMacroF1) }
//
// newMetric receives the per-sample shapes (no batch axis) of the model's
// output and of the targets, and returns a new metric, with no state shared
// with the others, or an error saying which shapes it needs. Compile checks
// the name before the targets are known by calling it with target = pred.
// The metric's Name should be name: it is the key of the metric in the logs
// and History. Register panics if the name is empty or taken (a built-in
// or one registered before) or newMetric is nil: programmer errors, found
// at start-up.
func Register(name string, newMetric func(pred, target []int) (Metric, error)) {
	k := normalize(name)
	if k == "" || newMetric == nil {
		panic("metrics: Register needs a name and a function")
	}
	if slices.Contains(builtins, k) || !registry.Add(k, newMetric) {
		panic("metrics: Register called for " + k + ", which is already a metric")
	}
}

// Names lists the metric names Get knows, built-in and registered, sorted.
func Names() []string {
	names := append(registry.Keys(), builtins...)
	sort.Strings(names)
	return names
}

// registered makes the metric registered under key, as Get's last resort.
func registered(name, key string, pred, target []int) (Metric, error) {
	newMetric, _ := registry.Get(key)
	if newMetric == nil {
		return nil, fmt.Errorf("metrics: unknown metric %q; known: %s (a metric of your own must be added with metrics.Register first)", name, strings.Join(Names(), ", "))
	}
	m, err := newMetric(pred, target)
	if err != nil {
		return nil, fmt.Errorf("metrics: %s: %w", key, err)
	}
	if m == nil {
		return nil, fmt.Errorf("metrics: the function registered for %q returned no metric and no error", key)
	}
	return m, nil
}
