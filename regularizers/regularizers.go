package regularizers

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/internal/configread"
)

// Regularizer adds a penalty on a weight to the loss, and its gradient.
type Regularizer interface {
	// Penalty is the term added to the loss for weight w, accumulated in
	// float64: l1·Σ|w| + l2·Σw² (no ½ factor, as Keras).
	Penalty(w []float32) float64
	// AddGradient adds dPenalty/dw to grad: l1·sign(w) (sign(0) = 0) plus
	// 2·l2·w. grad and w must have the same length. It does not allocate.
	AddGradient(grad, w []float32)
	// Name is the Keras class name, the class_name of its serialized
	// config: "L1", "L2" or "L1L2".
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
func L1(l1 float64) Regularizer { return must(newL1L2("L1", l1, 0)) }

// L2 penalizes l2·Σw² (Keras L2; default factor 0.01). It panics if l2 is
// negative or not finite.
func L2(l2 float64) Regularizer { return must(newL1L2("L2", 0, l2)) }

// L1L2 penalizes l1·Σ|w| + l2·Σw² (Keras L1L2; the class defaults to 0 and 0,
// the string "l1_l2" to 0.01 and 0.01). It panics if a factor is negative or
// not finite.
func L1L2(l1, l2 float64) Regularizer { return must(newL1L2("L1L2", l1, l2)) }

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
	case "L1":
		return map[string]any{"l1": r.l1}
	case "L2":
		return map[string]any{"l2": r.l2}
	}
	return map[string]any{"l1": r.l1, "l2": r.l2}
}

// Get returns the regularizer Keras knows by name, as kernel_regularizer="l2"
// accepts it (case and underscores ignored; the class names "L1", "L2",
// "L1L2" work too): "l1" is L1(0.01), "l2" is L2(0.01), "l1_l2" is
// L1L2(0.01, 0.01), as the L1 and L2 classes default to 0.01. Other names are those
// of registered regularizers, built from an empty config.
func Get(name string) (Regularizer, error) {
	switch configread.Key(name) {
	case "l1":
		return L1(Default), nil
	case "l2":
		return L2(Default), nil
	case "l1l2":
		return L1L2(Default, Default), nil
	}
	return FromConfig(name, nil)
}
