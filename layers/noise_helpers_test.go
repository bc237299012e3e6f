package layers

import (
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// Helpers for the tests of SpatialDropout2D, GaussianNoise, GaussianDropout
// and UpSampling2D.

// configErrCase is a config FromConfig must refuse with an error saying want.
type configErrCase struct {
	class string
	cfg   map[string]any
	want  string
}

func checkConfigErrors(t *testing.T, cases []configErrCase) {
	t.Helper()
	for _, c := range cases {
		_, err := FromConfig(c.class, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromConfig(%s, %v) error %v, want one saying %q", c.class, c.cfg, err, c.want)
		}
	}
}

// stepper is a built layer in a training plan over a fixed input.
type stepper struct {
	p    *autograd.Plan
	x, y *autograd.Var
}

// newStepper builds l under the model seed and calls it on x (batch axis
// first) in a training plan.
func newStepper(t *testing.T, l Layer, modelSeed uint64, x *tensor.Tensor) *stepper {
	t.Helper()
	if l.Name() == "" {
		l.SetName("under_test")
	}
	if _, err := l.Build(x.Shape()[1:], tensor.NewRNG(modelSeed)); err != nil {
		t.Fatal(err)
	}
	p := autograd.NewPlan(x.Dim(0))
	in := p.Input(x.Shape()[1:]...)
	copy(in.Value.Data(), x.Data())
	return &stepper{p: p, x: in, y: l.Call(p, in)}
}

// run runs one forward pass and returns a copy of the output.
func (s *stepper) run(training bool) []float32 {
	s.p.Forward(training)
	return slices.Clone(s.y.Value.Data())
}

// checkSeeding: the same model seed draws the same noise, another seed
// other noise, WithSeed the same noise whatever the model's seed, two steps
// different noise, and a saved random state replays the step after it.
// fresh returns a new layer, with WithSeed(9) when seeded.
func checkSeeding(t *testing.T, fresh func(seeded bool) Layer, x *tensor.Tensor) {
	t.Helper()
	first := func(seeded bool, modelSeed uint64) []float32 {
		return newStepper(t, fresh(seeded), modelSeed, x).run(true)
	}
	if !slices.Equal(first(false, 1), first(false, 1)) {
		t.Error("the same model seed drew different noise")
	}
	if slices.Equal(first(false, 1), first(false, 2)) {
		t.Error("model seeds 1 and 2 drew the same noise")
	}
	if !slices.Equal(first(true, 1), first(true, 2)) {
		t.Error("WithSeed(9) drew different noise under different model seeds")
	}
	l := fresh(false)
	s := newStepper(t, l, 1, x)
	a := s.run(true)
	state, err := l.(Stateful).RandomState()
	if err != nil {
		t.Fatal(err)
	}
	b := s.run(true)
	if slices.Equal(a, b) {
		t.Error("two training steps drew the same noise")
	}
	if err := l.(Stateful).SetRandomState(state); err != nil {
		t.Fatal(err)
	}
	if c := s.run(true); !slices.Equal(b, c) {
		t.Error("restoring the random state did not replay the next step's noise")
	}
	if err := fresh(false).(Stateful).SetRandomState(state); err == nil || !strings.Contains(err.Error(), "not built") {
		t.Errorf("SetRandomState on an unbuilt layer: %v, want an error saying it is not built", err)
	}
}

// checkInferenceIdentity: at inference the output is the input, bit for bit.
func checkInferenceIdentity(t *testing.T, l Layer, x *tensor.Tensor) {
	t.Helper()
	if got := newStepper(t, l, 1, x).run(false); !slices.Equal(got, x.Data()) {
		t.Errorf("%s at inference changed its input", l.ClassName())
	}
}

// normalTensor is a tensor of N(0, 1) draws.
func normalTensor(seed uint64, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	x.FillNormal(tensor.NewRNG(seed), 0, 1)
	return x
}
