package configread

import (
	"fmt"
	"sort"
	"strings"
)

// Registry maps Keras class names to functions that rebuild an object from
// its config: the one table behind a package's FromConfig and Register.
// Names are matched ignoring case and underscores, so "GlorotUniform",
// "glorot_uniform" and "glorotuniform" meet, as Keras accepts both its class
// names and their snake_case strings. It is safe for concurrent use.
type Registry[T any] struct {
	pkg, noun string // "optimizers", "optimizer": for messages
	byKey     Table[entry[T]]
}

type entry[T any] struct {
	className string
	build     func(config map[string]any) (T, error)
	builtin   bool
}

// NewRegistry makes an empty registry for package pkg, whose objects are
// called noun in messages ("initializer").
func NewRegistry[T any](pkg, noun string) *Registry[T] {
	return &Registry[T]{pkg: pkg, noun: noun}
}

// Key is the form names are matched in: trimmed, lower case, no
// underscores.
func Key(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "")
}

// Builtin registers one of the package's own classes, with aliases (Keras's
// string names, e.g. "glorot_uniform", "zero").
func (g *Registry[T]) Builtin(className string, build func(config map[string]any) (T, error), aliases ...string) {
	g.add(className, build, true)
	for _, a := range aliases {
		if Key(a) != Key(className) { // "glorot_uniform" is GlorotUniform's own key
			g.add(a, build, true, className)
		}
	}
}

// Register adds a user's class. It panics if the name is empty, build is
// nil or the name (ignoring case and underscores) is taken: programmer
// errors, found at start-up.
func (g *Registry[T]) Register(className string, build func(config map[string]any) (T, error)) {
	g.add(className, build, false)
}

func (g *Registry[T]) add(name string, build func(config map[string]any) (T, error), builtin bool, canonical ...string) {
	k := Key(name)
	if k == "" || build == nil {
		panic(g.pkg + ": Register needs a class name and a function")
	}
	className := name
	if len(canonical) > 0 {
		className = canonical[0]
	}
	if !g.byKey.Add(k, entry[T]{className: className, build: build, builtin: builtin}) {
		e, _ := g.byKey.Get(k)
		panic(fmt.Sprintf("%s: Register called twice for %q (already registered as %q)", g.pkg, name, e.className))
	}
}

// Build rebuilds an object of the class named name from config. An unknown
// name is an error listing the known classes and saying how to register one.
func (g *Registry[T]) Build(name string, config map[string]any) (T, error) {
	e, ok := g.byKey.Get(Key(name))
	var zero T
	if !ok {
		return zero, fmt.Errorf("%s: unknown %s %q; known: %s (a class of your own must be registered with %s.Register before it is used or read)",
			g.pkg, g.noun, name, strings.Join(g.ClassNames(), ", "), g.pkg)
	}
	t, err := e.build(config)
	if err != nil {
		return zero, err
	}
	if any(t) == nil {
		return zero, fmt.Errorf("%s: the function registered for %q returned no %s and no error", g.pkg, e.className, g.noun)
	}
	return t, nil
}

// ClassNames lists the registered class names (not their aliases), sorted.
func (g *Registry[T]) ClassNames() []string {
	seen := map[string]bool{}
	var names []string
	for _, e := range g.byKey.Values() {
		if !seen[e.className] {
			seen[e.className] = true
			names = append(names, e.className)
		}
	}
	sort.Strings(names)
	return names
}

// IsBuiltin reports whether className is one of the package's own classes
// (false for a user's class and for unknown names).
func (g *Registry[T]) IsBuiltin(className string) bool {
	e, ok := g.byKey.Get(Key(className))
	return ok && e.builtin
}
