package metrics

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// builtins are the names Get resolves itself; Register cannot take them.
var builtins = []string{"accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy"}

var (
	registryMu sync.RWMutex
	registry   = map[string]func(pred, target []int) (Metric, error){}
)

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
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" || newMetric == nil {
		panic("metrics: Register needs a name and a function")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[key]; dup || slices.Contains(builtins, key) {
		panic("metrics: Register called for " + key + ", which is already a metric")
	}
	registry[key] = newMetric
}

// Names lists the metric names Get knows, built-in and registered, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := append([]string(nil), builtins...)
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// registered makes the metric registered under key, as Get's last resort.
func registered(name, key string, pred, target []int) (Metric, error) {
	registryMu.RLock()
	newMetric := registry[key]
	registryMu.RUnlock()
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
