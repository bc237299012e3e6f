package losses

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

func TestGetKnowsKerasNamesAndAliases(t *testing.T) {
	for name, want := range map[string]string{
		"mse":                             "mean_squared_error",
		"Mean_Squared_Error":              "mean_squared_error",
		"categorical_crossentropy":        "categorical_crossentropy",
		"sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
		"binary_crossentropy":             "binary_crossentropy",
	} {
		l, err := Get(name)
		if err != nil || l.Name() != want {
			t.Errorf("Get(%q) = %v, %v; want %s", name, l, err, want)
		}
	}
	if _, err := Get("hinge2"); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Errorf("unknown loss error %v should list the known ones", err)
	}
}

func TestCheckTargetExplainsTheFix(t *testing.T) {
	out := []int{10}
	for _, c := range []struct {
		loss   Loss
		target []int
		want   string // "" means accepted
	}{
		{MeanSquaredError{}, []int{10}, ""},
		{MeanSquaredError{}, []int{}, "ToCategorical"},
		{CategoricalCrossentropy{}, []int{1}, "sparse_categorical_crossentropy"},
		{CategoricalCrossentropy{LabelSmoothing: 2}, []int{10}, "label_smoothing"},
		// NaN is not in [0, 1]: accepted, it would make every loss NaN.
		{CategoricalCrossentropy{LabelSmoothing: math.NaN()}, []int{10}, "label_smoothing"},
		{BinaryCrossentropy{LabelSmoothing: math.NaN()}, []int{10}, "label_smoothing"},
		{SparseCategoricalCrossentropy{}, []int{}, ""},
		{SparseCategoricalCrossentropy{}, []int{1}, ""},
		{SparseCategoricalCrossentropy{}, []int{10}, "use categorical_crossentropy"},
	} {
		err := c.loss.CheckTarget(out, c.target)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s with target %v: unexpected error %v", c.loss.Name(), c.target, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s with target %v: error %v, want one mentioning %q", c.loss.Name(), c.target, err, c.want)
		}
	}
}

// TestBuiltLossesMatchHandValues runs each loss through a plan on one
// sample: prediction [0.2, 0.8], target class 1.
func TestBuiltLossesMatchHandValues(t *testing.T) {
	p := autograd.NewPlan(1)
	pred := p.Input(2)
	copy(pred.Value.Data(), []float32{0.2, 0.8})
	oneHot := &autograd.Var{Value: tensor.Full(0, 1, 2)}
	oneHot.Value.Data()[1] = 1
	sparse := &autograd.Var{Value: tensor.Full(1, 1)}
	mse := MeanSquaredError{}.Build(p, pred, oneHot)
	cce := CategoricalCrossentropy{}.Build(p, pred, oneHot)
	smooth := CategoricalCrossentropy{LabelSmoothing: 0.2}.Build(p, pred, oneHot)
	scce := SparseCategoricalCrossentropy{}.Build(p, pred, sparse)
	p.Forward(false)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"mse", mse.Loss(), (0.04 + 0.04) / 2},
		{"cce", cce.Loss(), -math.Log(0.8)},
		{"cce smoothing 0.2", smooth.Loss(), -(0.1*math.Log(0.2) + 0.9*math.Log(0.8))},
		{"sparse cce", scce.Loss(), -math.Log(0.8)},
	} {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s = %.7f, want %.7f", c.name, c.got, c.want)
		}
	}
}
