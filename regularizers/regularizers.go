package regularizers

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/goras-ml/goras/internal/confignum"
)

// Regularizer adds a penalty on a weight to the loss, and its gradient.
type Regularizer interface {
	// Penalty is the term added to the loss for weight w, accumulated in
	// float64: l1·Σ|w| + l2·Σw² (no ½ factor, as Keras).
	Penalty(w []float32) float64
	// AddGradient adds dPenalty/dw to grad: l1·sign(w) (sign(0) = 0) plus
	// 2·l2·w. grad and w must have the same length. It does not allocate.
	AddGradient(grad, w []float32)
	// Name is the Keras name: "l1", "l2" or "l1_l2".
	Name() string
	// Config is the Keras get_config: {"l1": …}, {"l2": …} or
	// {"l1": …, "l2": …}. Each call returns a new map.
	Config() map[string]any
}

// Default is the factor of the string names "l1", "l2" and "l1_l2" (Keras).
const Default = 0.01

type l1l2 struct {
	name   string
	l1, l2 float64
}

// L1 penalizes l1·Σ|w| (Keras L1; default factor 0.01). It panics if l1 is
// negative or not finite.
func L1(l1 float64) Regularizer { return must(newL1L2("l1", l1, 0)) }

// L2 penalizes l2·Σw² (Keras L2; default factor 0.01). It panics if l2 is
// negative or not finite.
func L2(l2 float64) Regularizer { return must(newL1L2("l2", 0, l2)) }

// L1L2 penalizes l1·Σ|w| + l2·Σw² (Keras L1L2; the class defaults to 0 and 0,
// the string "l1_l2" to 0.01 and 0.01). It panics if a factor is negative or
// not finite.
func L1L2(l1, l2 float64) Regularizer { return must(newL1L2("l1_l2", l1, l2)) }

func newL1L2(name string, l1, l2 float64) (Regularizer, error) {
	for _, f := range []struct {
		key string
		v   float64
	}{{"l1", l1}, {"l2", l2}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return nil, fmt.Errorf("regularizers: %s: %s must be a finite number ≥ 0, got %v", name, f.key, f.v)
		}
	}
	return l1l2{name, l1, l2}, nil
}

func must(r Regularizer, err error) Regularizer {
	if err != nil {
		panic(err.Error())
	}
	return r
}

func (r l1l2) Penalty(w []float32) float64 {
	var abs, sq float64
	for _, v := range w {
		x := float64(v)
		abs += math.Abs(x)
		sq += x * x
	}
	return r.l1*abs + r.l2*sq
}

func (r l1l2) AddGradient(grad, w []float32) {
	if len(grad) != len(w) {
		panic(fmt.Sprintf("regularizers: %s AddGradient: len(grad) = %d, len(w) = %d; want equal", r.name, len(grad), len(w)))
	}
	l1, l2x2 := float32(r.l1), float32(2*r.l2)
	grad = grad[:len(w)]
	for i, v := range w {
		g := l2x2 * v
		if v > 0 {
			g += l1
		} else if v < 0 {
			g -= l1
		}
		grad[i] += g
	}
}

func (r l1l2) Name() string { return r.name }

func (r l1l2) Config() map[string]any {
	switch r.name {
	case "l1":
		return map[string]any{"l1": r.l1}
	case "l2":
		return map[string]any{"l2": r.l2}
	}
	return map[string]any{"l1": r.l1, "l2": r.l2}
}

// canonical maps a name, lower-cased with underscores removed (so "l1_l2",
// "L1L2" and "L1_L2" meet), to its Keras name.
func canonical(name string) (string, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "") {
	case "l1":
		return "l1", nil
	case "l2":
		return "l2", nil
	case "l1l2":
		return "l1_l2", nil
	}
	return "", fmt.Errorf("regularizers: unknown regularizer %q; known: l1, l2, l1_l2", name)
}

// Get returns the regularizer Keras knows by name (case-insensitive; Keras
// class names "L1", "L2", "L1L2" also work): "l1" is L1(0.01), "l2" is
// L2(0.01), "l1_l2" is L1L2(0.01, 0.01).
func Get(name string) (Regularizer, error) {
	n, err := canonical(name)
	if err != nil {
		return nil, err
	}
	switch n {
	case "l1":
		return L1(Default), nil
	case "l2":
		return L2(Default), nil
	}
	return L1L2(Default, Default), nil
}

// FromConfig builds the regularizer named name from config, as Name and
// Config produce it. Missing keys take the Keras class defaults: 0.01 for
// "l1" and "l2", 0 for either factor of "l1_l2". Numbers may be any Go numeric
// type or json.Number; unknown keys, wrong types and negative factors are
// errors.
func FromConfig(name string, config map[string]any) (Regularizer, error) {
	n, err := canonical(name)
	if err != nil {
		return nil, err
	}
	var keys []string
	switch n {
	case "l1":
		keys = []string{"l1"}
	case "l2":
		keys = []string{"l2"}
	default:
		keys = []string{"l1", "l2"}
	}
	def := Default
	if n == "l1_l2" {
		def = 0
	}
	var extra []string
	for k := range config {
		if k != keys[0] && k != keys[len(keys)-1] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("regularizers: %s: unknown config key(s) %v; accepted: %v", n, extra, keys)
	}
	f := map[string]float64{}
	for _, k := range keys {
		f[k] = def
		if v, ok := config[k]; ok {
			if f[k], err = number(v); err != nil {
				return nil, fmt.Errorf("regularizers: %s: %q %v", n, k, err)
			}
		}
	}
	return newL1L2(n, f["l1"], f["l2"])
}

func number(v any) (float64, error) {
	if f, ok := confignum.Float(v); ok {
		return f, nil
	}
	if x, ok := v.(json.Number); ok {
		return 0, fmt.Errorf("must be a number, got %q", x)
	}
	return 0, fmt.Errorf("must be a number, got %T %v", v, v)
}
