package layers_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// A constraint given to Dense or Conv2D sits on the weight it names, checked
// against its shape when the layer is built.
func TestConstraintsOnWeights(t *testing.T) {
	maxNorm, nonNeg := constraints.MaxNorm(2), constraints.NonNeg()
	d := layers.Dense(3, layers.WithKernelConstraint(maxNorm), layers.WithBiasConstraint(nonNeg))
	d.SetName("dense")
	if _, err := d.Build([]int{4}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	ps := d.Params()
	if ps[0].Constraint != maxNorm || ps[1].Constraint != nonNeg {
		t.Fatalf("constraints on %s, %s: %v, %v", ps[0].Name, ps[1].Name, ps[0].Constraint, ps[1].Constraint)
	}
	// The kernel's first column, scaled to norm 5 by hand, is brought back
	// to norm 2 by the constraint the training step will apply.
	k := ps[0].Value.Data()
	for i := range k {
		k[i] = 0
	}
	k[0], k[3] = 3, 4 // rows 0 and 1 of column 0 in the (4, 3) kernel
	ps[0].Constraint.Apply(k, ps[0].Value.Shape())
	if math.Abs(float64(k[0])-1.2) > 1e-6 || math.Abs(float64(k[3])-1.6) > 1e-6 {
		t.Errorf("column 0 after MaxNorm(2) = %v, %v; want 1.2, 1.6", k[0], k[3])
	}

	c := layers.Conv2D(2, 3, layers.WithKernelConstraint(constraints.MaxNorm(1, 0, 1, 2)))
	c.SetName("conv")
	if _, err := c.Build([]int{5, 5, 1}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	if c.Params()[0].Constraint == nil || c.Params()[1].Constraint != nil {
		t.Error("Conv2D: the kernel constraint should sit on the kernel only")
	}

	bad := layers.Conv2D(2, 3, layers.WithBiasConstraint(constraints.UnitNorm(1)))
	bad.SetName("conv_1")
	_, err := bad.Build([]int{5, 5, 1}, tensor.NewRNG(1))
	if err == nil || !strings.Contains(err.Error(), `layer "conv_1" (Conv2D): conv_1/bias: constraints: UnitNorm: axis 1 does not exist in a weight of shape [2]`) {
		t.Errorf("UnitNorm(axis 1) on a bias: error %v", err)
	}
	_, err = layers.Flatten(layers.WithKernelConstraint(maxNorm)).Build([]int{2, 2}, nil)
	if err == nil || !strings.Contains(err.Error(), "kernel_constraint") {
		t.Errorf("Flatten with a kernel constraint: error %v, want one naming the option", err)
	}
}

// A Dense config written by Keras 3 with constraints reads back with them,
// and writes them in Keras's form.
func TestKerasConstraintConfig(t *testing.T) {
	const keras = `{"name": "dense", "trainable": true, "units": 4, "activation": "relu", "use_bias": true,
		"kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
		"bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
		"kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
		"kernel_constraint": {"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}, "registered_name": null},
		"bias_constraint": {"module": "keras.constraints", "class_name": "NonNeg", "config": {}, "registered_name": null}}`
	l, err := fromJSON(t, "Dense", keras)
	if err != nil {
		t.Fatal(err)
	}
	got := l.Config()
	want := map[string]any{"module": "keras.constraints", "class_name": "MaxNorm", "config": map[string]any{"max_value": 3.0, "axis": 0}, "registered_name": nil}
	if !reflect.DeepEqual(got["kernel_constraint"], want) {
		t.Errorf("kernel_constraint = %v, want %v", got["kernel_constraint"], want)
	}
	if b := got["bias_constraint"].(map[string]any); b["class_name"] != "NonNeg" {
		t.Errorf("bias_constraint = %v", b)
	}
	if _, err := l.Build([]int{2}, tensor.NewRNG(1)); err != nil || l.Params()[0].Constraint == nil || l.Params()[1].Constraint == nil {
		t.Errorf("built from the Keras config: err %v, constraints %v, %v", err, l.Params()[0].Constraint, l.Params()[1].Constraint)
	}
}
