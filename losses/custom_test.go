package losses_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// userMAE is mean absolute error written from scratch, as a user of goras
// would: a Loss whose Build adds an op of its own.
type userMAE struct{}

func init() { losses.Register("user_mean_absolute_error", userMAEFromConfig) }

func userMAEFromConfig(config map[string]any) (losses.Loss, error) {
	for k := range config {
		if k != "name" && k != "reduction" {
			return nil, fmt.Errorf("user_mean_absolute_error takes no config, got key %q", k)
		}
	}
	return userMAE{}, nil
}

func (userMAE) Name() string { return "user_mean_absolute_error" }

func (userMAE) CheckTarget(pred, target []int) error {
	if !tensor.SameShape(pred, target) {
		return fmt.Errorf("user_mean_absolute_error needs targets shaped like the output %v, got %v", pred, target)
	}
	return nil
}

func (userMAE) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	op := &maeOp{pred: pred, target: target}
	p.AddOp(op)
	return op
}

func (userMAE) Config() map[string]any { return map[string]any{} }

// maeOp is mean(|pred - target|) over every element; its gradient is
// sign(pred - target) / n (0 where they are equal).
type maeOp struct {
	pred, target *autograd.Var
	loss         float64
}

func (o *maeOp) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		s += math.Abs(float64(v) - float64(t[i]))
	}
	o.loss = s / float64(o.pred.Value.Len())
}

func (o *maeOp) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float32(o.pred.Value.Len())
	for i, v := range o.pred.Value.Data() {
		switch {
		case v > t[i]:
			g[i] += inv
		case v < t[i]:
			g[i] -= inv
		}
	}
}

func (o *maeOp) Loss() float64 { return o.loss }

// TestUserLossMatchesFloat64 runs the user's loss on a model x·w through a
// training plan, and compares its value and the gradients of the
// prediction and of w with the formulas evaluated in float64.
func TestUserLossMatchesFloat64(t *testing.T) {
	l, err := losses.Get("User_Mean_Absolute_Error") // found by name, any case
	if err != nil {
		t.Fatal(err)
	}
	p := autograd.NewPlan(2)
	x := p.Input(3)
	copy(x.Value.Data(), []float32{1, -2, 0.5, 3, 0.25, -1})
	w := autograd.NewParam("w", true, 3, 2)
	copy(w.Value.Data(), []float32{0.5, -1, 2, 0.25, -0.75, 1.5})
	pred := p.MatMul(x, w)
	target := &autograd.Var{Value: tensor.New(2, 2)}
	copy(target.Value.Data(), []float32{1, 0, -2, 4})
	loss := l.Build(p, pred, target)
	if !p.Contains(loss) {
		t.Fatal("the user loss's op is not in the plan")
	}
	p.Forward(true)
	p.Backward()

	xs, ws, ts := toF64(x.Value), toF64(w.Value), toF64(target.Value)
	var want float64
	dPred := make([]float64, 4)
	for r := 0; r < 2; r++ {
		for c := 0; c < 2; c++ {
			y := xs[3*r]*ws[c] + xs[3*r+1]*ws[2+c] + xs[3*r+2]*ws[4+c]
			d := y - ts[2*r+c]
			want += math.Abs(d) / 4
			dPred[2*r+c] = math.Copysign(0.25, d)
		}
	}
	dW := make([]float64, 6) // xᵀ·dPred
	for k := 0; k < 3; k++ {
		for c := 0; c < 2; c++ {
			dW[2*k+c] = xs[k]*dPred[c] + xs[3+k]*dPred[2+c]
		}
	}
	if math.Abs(loss.Loss()-want) > 1e-6 {
		t.Errorf("loss %.7f, want %.7f", loss.Loss(), want)
	}
	assertClose(t, "dLoss/dpred", pred.Grad, dPred)
	assertClose(t, "dLoss/dw", w.Grad, dW)
}

// TestUserLossGradientCheck holds the user loss, through a MatMul, to finite
// differences with the checker users call.
func TestUserLossGradientCheck(t *testing.T) {
	x, _ := tensor.FromSlice([]float32{1, -2, 0.5, 3, 0.25, -1}, 2, 3)
	target := &autograd.Var{Value: tensor.Full(0.1, 2, 2)}
	w := autograd.NewParam("w", true, 3, 2)
	copy(w.Value.Data(), []float32{0.5, -1, 2, 0.25, -0.75, 1.5})
	err := autograd.CheckLossGradients(func(p *autograd.Plan, in []*autograd.Var) autograd.LossOp {
		return userMAE{}.Build(p, p.MatMul(in[0], w), target)
	}, autograd.GradCheck{}, x)
	if err != nil {
		t.Error(err)
	}
}

// TestFromConfigRoundTrip: every built-in loss, with settings away from
// the defaults, and the user's loss come back from Config → JSON →
// FromConfig equal, numbers decoded as json.Number as model files are.
func TestFromConfigRoundTrip(t *testing.T) {
	for _, l := range []losses.Loss{
		losses.MeanSquaredError{},
		losses.CategoricalCrossentropy{FromLogits: true, LabelSmoothing: 0.1},
		losses.SparseCategoricalCrossentropy{FromLogits: true},
		losses.BinaryCrossentropy{FromLogits: true, LabelSmoothing: 0.2},
		userMAE{},
	} {
		b, err := json.Marshal(l.Config())
		if err != nil {
			t.Fatal(err)
		}
		var config map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&config); err != nil {
			t.Fatal(err)
		}
		got, err := losses.FromConfig(l.Name(), config)
		if err != nil || !reflect.DeepEqual(got, l) {
			t.Errorf("%s: FromConfig(%s) = %#v, %v; want %#v", l.Name(), b, got, err, l)
		}
	}
}

func TestFromConfigHandsFloats(t *testing.T) {
	var seen map[string]any
	losses.Register("test_config_probe", func(config map[string]any) (losses.Loss, error) {
		seen = config
		return userMAE{}, nil
	})
	_, err := losses.FromConfig("test_config_probe", map[string]any{
		"gamma": json.Number("2.5"), "n": 3, "list": []any{json.Number("1")}, "flag": true,
	})
	want := map[string]any{"gamma": 2.5, "n": 3.0, "list": []any{1.0}, "flag": true}
	if err != nil || !reflect.DeepEqual(seen, want) {
		t.Errorf("fromConfig got %#v (err %v), want %#v", seen, err, want)
	}
}

func TestFromConfigErrorsSayWhatToDo(t *testing.T) {
	for _, c := range []struct {
		name   string
		config map[string]any
		want   string
	}{
		{"focal_loss", nil, "losses.Register"},
		{"categorical_crossentropy", map[string]any{"from_logit": true}, "unknown key(s) from_logit; accepted: from_logits, label_smoothing"},
		{"categorical_crossentropy", map[string]any{"label_smoothing": 2.0}, `"label_smoothing" must be a number in [0, 1], got 2`},
		{"binary_crossentropy", map[string]any{"from_logits": "yes"}, `"from_logits" must be true or false`},
		{"mse", map[string]any{"reduction": "sum"}, `"reduction" = sum is not supported by goras`},
		{"sparse_categorical_crossentropy", map[string]any{"ignore_class": 0}, `"ignore_class" = 0 is not supported`},
	} {
		_, err := losses.FromConfig(c.name, c.config)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromConfig(%q, %v): error %v, want one containing %q", c.name, c.config, err, c.want)
		}
	}
	// Keras's own bookkeeping keys are accepted.
	l, err := losses.FromConfig("categorical_crossentropy", map[string]any{
		"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "axis": -1, "from_logits": false, "label_smoothing": 0,
	})
	if err != nil || l != (losses.CategoricalCrossentropy{}) {
		t.Errorf("Keras's config: %v, %v", l, err)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "twice for mse") {
			t.Errorf("registering mse again: panic %v, want one naming it", r)
		}
	}()
	losses.Register("MSE", userMAEFromConfig)
}

func toF64(t *tensor.Tensor) []float64 {
	out := make([]float64, t.Len())
	for i, v := range t.Data() {
		out[i] = float64(v)
	}
	return out
}

func assertClose(t *testing.T, what string, got *tensor.Tensor, want []float64) {
	t.Helper()
	for i, v := range got.Data() {
		if math.Abs(float64(v)-want[i]) > 1e-6 {
			t.Errorf("%s[%d] = %.7f, want %.7f", what, i, v, want[i])
		}
	}
}
