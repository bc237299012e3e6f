package main

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/spf13/pflag"
)

// archFlags are the flags that change a model's layers, for any model:
// --dropout and --l2. They apply to train and to summary, which shows what
// they did.
type archFlags struct {
	dropout float64
	l2      float64
}

// addArchFlags adds --dropout and --l2 to fl.
func addArchFlags(fl *pflag.FlagSet, a *archFlags) {
	fl.Float64Var(&a.dropout, "dropout", 0, "put a Dropout(`RATE`) in front of every Dense layer that follows a Conv2D or\n"+
		"Dense layer (after Flatten in a convnet, after each hidden Dense), never on the raw\n"+
		"pixels; it replaces a Dropout the model already has there, and 0 removes those\n"+
		"(default: the model's own dropout: none, or keras-convnet's 0.5)")
	fl.Float64Var(&a.l2, "l2", 0, "L2 kernel regularizer `FACTOR` on every Dense and Conv2D layer: FACTOR·Σw² of\n"+
		"each kernel is added to the loss shown in training, as Keras's\n"+
		"kernel_regularizer=L2(FACTOR) (default 0: the model's own, none)")
}

// arch is what the archFlags ask for, checked.
type arch struct {
	// dropout is the rate of the Dropout in front of Dense layers, or a
	// negative number to keep the model's dropout.
	dropout float64
	// l2 is the kernel regularizer's factor, or 0 to keep the model's.
	l2 float64
}

// modelArch is the arch that leaves a model as its spec defines it.
var modelArch = arch{dropout: -1}

// check validates the flags; set reports whether a flag was given.
func (a *archFlags) check(set func(string) bool) (arch, error) {
	r := modelArch
	if set("dropout") {
		if !(a.dropout >= 0 && a.dropout < 1) {
			return r, fmt.Errorf("--dropout must be in [0, 1) (the fraction of inputs dropped), got %v", a.dropout)
		}
		r.dropout = a.dropout
	}
	if set("l2") {
		if math.IsNaN(a.l2) || math.IsInf(a.l2, 0) || a.l2 < 0 {
			return r, fmt.Errorf("--l2 must be a number ≥ 0 (e.g. 0.0005), got %v", a.l2)
		}
		r.l2 = a.l2
	}
	return r, nil
}

// apply returns ls with the requested dropout and regularization.
func (a arch) apply(ls []layers.Layer) ([]layers.Layer, error) {
	if a.dropout >= 0 {
		ls = applications.SetDropout(ls, a.dropout)
	}
	if a.l2 > 0 {
		var err error
		if ls, err = applications.SetKernelRegularizer(ls, regularizers.L2(a.l2)); err != nil {
			return nil, fmt.Errorf("--l2: %w", err)
		}
	}
	return ls, nil
}

// String describes the changes for the run's one-line description, "" when
// there are none.
func (a arch) String() string {
	s := ""
	if a.dropout >= 0 {
		s += fmt.Sprintf(", dropout %g before Dense", a.dropout)
	}
	if a.l2 > 0 {
		s += fmt.Sprintf(", L2 %g on kernels", a.l2)
	}
	return s
}
