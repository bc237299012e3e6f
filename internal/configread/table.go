package configread

import (
	"sort"
	"sync"
)

// Table is a map from names to values that is safe for concurrent use: the
// store behind Registry, and behind the registries of losses and metrics,
// which match and list their names their own way (case-insensitive, with
// underscores significant) and so keep their own keys and messages. The
// zero Table is empty and ready. Nothing is ever removed, so a key once
// added holds its value for good.
type Table[V any] struct {
	mu sync.RWMutex
	m  map[string]V
}

// Add stores v under key and reports true, or reports false and keeps what
// key holds when it is taken: the check and the store are one step, so two
// registrations of one name cannot both succeed.
func (t *Table[V]) Add(key string, v V) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, taken := t.m[key]; taken {
		return false
	}
	if t.m == nil {
		t.m = map[string]V{}
	}
	t.m[key] = v
	return true
}

// Get returns what key holds, and whether it holds anything.
func (t *Table[V]) Get(key string) (V, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := t.m[key]
	return v, ok
}

// Keys lists the keys, sorted.
func (t *Table[V]) Keys() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	keys := make([]string, 0, len(t.m))
	for k := range t.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Values lists the values, in no particular order.
func (t *Table[V]) Values() []V {
	t.mu.RLock()
	defer t.mu.RUnlock()
	values := make([]V, 0, len(t.m))
	for _, v := range t.m {
		values = append(values, v)
	}
	return values
}
