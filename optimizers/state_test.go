package optimizers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// gradSeq returns the gradients of step k, the same on every call (clipping
// modifies them in place, so each run needs fresh copies).
func gradSeq(sizes []int, k int) []*tensor.Tensor {
	rng := rand.New(rand.NewPCG(42, uint64(k)))
	out := make([]*tensor.Tensor, len(sizes))
	for i, n := range sizes {
		out[i] = tensor.New(n)
		for j := range out[i].Data() {
			out[i].Data()[j] = float32(rng.NormFloat64())
		}
	}
	return out
}

func initWeights(sizes []int) []*tensor.Tensor {
	rng := rand.New(rand.NewPCG(7, 7))
	out := make([]*tensor.Tensor, len(sizes))
	for i, n := range sizes {
		out[i] = tensor.New(n)
		for j := range out[i].Data() {
			out[i].Data()[j] = float32(rng.Float64()*2 - 1)
		}
	}
	return out
}

func cloneAll(ts []*tensor.Tensor) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(ts))
	for i, t := range ts {
		out[i] = t.Clone()
	}
	return out
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestVariablesRoundTrip: 3 steps, copy weights and optimizer state into a
// fresh optimizer through Variables, 3 more steps; weights and state must be
// bit-identical to an uninterrupted 6-step run.
func TestVariablesRoundTrip(t *testing.T) {
	sizes := []int{4, 6}
	for _, s := range specs {
		t.Run(s.name, func(t *testing.T) {
			// Uninterrupted.
			a := s.new(t)
			wa := initWeights(sizes)
			if err := a.Build(wa); err != nil {
				t.Fatal(err)
			}
			for k := range 6 {
				a.Apply(wa, gradSeq(sizes, k))
			}

			// Interrupted after 3 steps.
			b := s.new(t)
			wb := initWeights(sizes)
			if err := b.Build(wb); err != nil {
				t.Fatal(err)
			}
			for k := range 3 {
				b.Apply(wb, gradSeq(sizes, k))
			}
			c := s.new(t)
			wc := cloneAll(wb)
			if err := c.Build(wc); err != nil {
				t.Fatal(err)
			}
			bv, cv := b.Variables(), c.Variables()
			if len(bv) != len(cv) {
				t.Fatalf("%d variables vs %d", len(bv), len(cv))
			}
			for i := range bv {
				if bv[i].Name != cv[i].Name {
					t.Fatalf("variable %d named %q vs %q", i, bv[i].Name, cv[i].Name)
				}
				cv[i].Value.CopyFrom(bv[i].Value)
			}
			if c.Iterations() != 3 {
				t.Fatalf("restored Iterations() = %d, want 3", c.Iterations())
			}
			if c.LearningRate() != b.LearningRate() {
				t.Fatalf("restored LearningRate() = %v, want %v", c.LearningRate(), b.LearningRate())
			}
			for k := 3; k < 6; k++ {
				c.Apply(wc, gradSeq(sizes, k))
			}

			for i := range wa {
				if !sameBits(wa[i].Data(), wc[i].Data()) {
					t.Errorf("weights %d differ: %v vs %v", i, wa[i].Data(), wc[i].Data())
				}
			}
			av, cv := a.Variables(), c.Variables()
			for i := range av {
				if !sameBits(av[i].Value.Data(), cv[i].Value.Data()) {
					t.Errorf("state %s differs: %v vs %v", av[i].Name, av[i].Value, cv[i].Value)
				}
			}
		})
	}
}

func TestVariableNames(t *testing.T) {
	cases := []struct {
		s    spec
		want []string
	}{
		{spec{kind: "sgd"}, []string{"sgd/iteration", "sgd/learning_rate"}},
		{spec{kind: "sgd", momentum: 0.9}, []string{"sgd/iteration", "sgd/learning_rate", "sgd/momentum/0", "sgd/momentum/1"}},
		{spec{kind: "adam", amsgrad: true}, []string{"adam/iteration", "adam/learning_rate", "adam/m/0", "adam/m/1", "adam/v/0", "adam/v/1", "adam/vhat/0", "adam/vhat/1"}},
		{spec{kind: "adam", sched: mustExp(0.1, 10, 0.5)}, []string{"adam/iteration", "adam/m/0", "adam/m/1", "adam/v/0", "adam/v/1"}},
		{spec{kind: "adamw"}, []string{"adamw/iteration", "adamw/learning_rate", "adamw/m/0", "adamw/m/1", "adamw/v/0", "adamw/v/1"}},
		{spec{kind: "rmsprop", momentum: 0.1, centered: true}, []string{"rmsprop/iteration", "rmsprop/learning_rate",
			"rmsprop/velocity/0", "rmsprop/velocity/1", "rmsprop/momentum/0", "rmsprop/momentum/1", "rmsprop/average_gradient/0", "rmsprop/average_gradient/1"}},
		{spec{kind: "adagrad"}, []string{"adagrad/iteration", "adagrad/learning_rate", "adagrad/accumulator/0", "adagrad/accumulator/1"}},
		{spec{kind: "nadam"}, []string{"nadam/iteration", "nadam/learning_rate", "nadam/m/0", "nadam/m/1", "nadam/v/0", "nadam/v/1", "nadam/u_product"}},
		{spec{kind: "adamax"}, []string{"adamax/iteration", "adamax/learning_rate", "adamax/m/0", "adamax/m/1", "adamax/u/0", "adamax/u/1"}},
		{spec{kind: "adadelta"}, []string{"adadelta/iteration", "adadelta/learning_rate",
			"adadelta/accumulated_grad/0", "adadelta/accumulated_grad/1", "adadelta/accumulated_delta_var/0", "adadelta/accumulated_delta_var/1"}},
		{spec{kind: "lion"}, []string{"lion/iteration", "lion/learning_rate", "lion/momentum/0", "lion/momentum/1"}},
		{spec{kind: "ftrl"}, []string{"ftrl/iteration", "ftrl/learning_rate", "ftrl/accumulator/0", "ftrl/accumulator/1", "ftrl/linear/0", "ftrl/linear/1"}},
		// The averages come before the optimizer's own slots, as Keras builds them.
		{spec{kind: "adam", ema: true}, []string{"adam/iteration", "adam/learning_rate", "adam/average/0", "adam/average/1",
			"adam/m/0", "adam/m/1", "adam/v/0", "adam/v/1"}},
	}
	for _, c := range cases {
		o := c.s.new(t)
		w := []*tensor.Tensor{tensor.New(2, 3), tensor.New(3)}
		if err := o.Build(w); err != nil {
			t.Fatal(err)
		}
		vs := o.Variables()
		var names []string
		for _, v := range vs {
			names = append(names, v.Name)
		}
		if len(names) != len(c.want) {
			t.Errorf("%s: names %v, want %v", o.Name(), names, c.want)
			continue
		}
		for i := range names {
			if names[i] != c.want[i] {
				t.Errorf("%s: names %v, want %v", o.Name(), names, c.want)
				break
			}
		}
		// Slots have their variable's shape.
		for _, v := range vs[1:] {
			if v.Name[len(v.Name)-2:] == "/0" && !tensor.SameShape(v.Value.Shape(), []int{2, 3}) {
				t.Errorf("%s has shape %v, want [2 3]", v.Name, v.Value.Shape())
			}
		}
	}
	// Adagrad's accumulators start at initial_accumulator_value.
	o, _ := NewAdagrad()
	_ = o.Build([]*tensor.Tensor{tensor.New(2)})
	if got := o.Variables()[2].Value.Data(); got[0] != 0.1 || got[1] != 0.1 {
		t.Errorf("Adagrad accumulator starts at %v, want 0.1", got)
	}
}

// Writing the iteration or learning-rate tensor is picked up.
func TestWriteStateTensors(t *testing.T) {
	o, _ := NewAdam()
	if err := o.Build([]*tensor.Tensor{tensor.New(1)}); err != nil {
		t.Fatal(err)
	}
	vs := o.Variables()
	vs[0].Value.Data()[0] = 1000
	vs[1].Value.Data()[0] = 0.25
	if o.Iterations() != 1000 || o.LearningRate() != 0.25 {
		t.Fatalf("Iterations %d, LearningRate %v; want 1000, 0.25", o.Iterations(), o.LearningRate())
	}
	o.Apply([]*tensor.Tensor{tensor.New(1)}, []*tensor.Tensor{tensor.New(1)})
	if o.Iterations() != 1001 || vs[0].Value.Data()[0] != 1001 {
		t.Fatalf("after a step Iterations %d, tensor %v; want 1001", o.Iterations(), vs[0].Value.Data()[0])
	}
	// The float64 rate is kept while the tensor holds its float32 rounding.
	if err := o.SetLearningRate(0.001); err != nil {
		t.Fatal(err)
	}
	if o.LearningRate() != 0.001 || vs[1].Value.Data()[0] != float32(0.001) {
		t.Fatalf("LearningRate %v, tensor %v", o.LearningRate(), vs[1].Value.Data()[0])
	}
}

// Counting continues past 2^24, where float32 stops being exact.
func TestIterationsPast2to24(t *testing.T) {
	o, _ := NewSGD()
	w := []*tensor.Tensor{tensor.New(1)}
	_ = o.Build(w)
	o.Variables()[0].Value.Data()[0] = 1 << 24
	for range 3 {
		o.Apply(w, []*tensor.Tensor{tensor.New(1)})
	}
	if got := o.Iterations(); got != 1<<24+3 {
		t.Fatalf("Iterations() = %d, want %d", got, 1<<24+3)
	}
}
