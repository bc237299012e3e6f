package optimizers

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// TestStatesNeverSubnormal: the optimizers whose per-weight states decay
// geometrically under a zero gradient (RMSprop's three, Adadelta's two,
// Adamax's and Nadam's moments; Adam and SGD's momentum in
// internal/kernel's update rules) store +0 where a state would be
// subnormal, and the weights do not move, as they would not without the
// flush (the states' part of the step rounds away).
func TestStatesNeverSubnormal(t *testing.T) {
	rms, _ := NewRMSprop(Momentum(0.9), Centered(true))
	ada, _ := NewAdadelta()
	amax, _ := NewAdamax()
	nad, _ := NewNadam()
	adam, _ := NewAdam()
	sgd, _ := NewSGD(Momentum(0.9))
	for _, o := range []Optimizer{rms, ada, amax, nad, adam, sgd} {
		w := tensor.New(19)
		for j := range w.Data() {
			w.Data()[j] = 0.5
		}
		if err := o.Build([]*tensor.Tensor{w}); err != nil {
			t.Fatal(err)
		}
		states := 0
		for _, v := range o.Variables() {
			if strings.HasSuffix(v.Name, "/0") {
				states++
				for j := range v.Value.Data() {
					v.Value.Data()[j] = 1e-40
				}
			}
		}
		if states == 0 {
			t.Fatalf("%T: no per-weight states", o)
		}
		o.Apply([]*tensor.Tensor{w}, []*tensor.Tensor{tensor.New(19)})
		for _, v := range o.Variables() {
			if !strings.HasSuffix(v.Name, "/0") {
				continue
			}
			for j, x := range v.Value.Data() {
				if math.Float32bits(x) != 0 {
					t.Fatalf("%s[%d] = %g after a zero gradient, want +0", v.Name, j, x)
				}
			}
		}
		for j, x := range w.Data() {
			if x != 0.5 {
				t.Fatalf("%T: w[%d] = %v, want 0.5", o, j, x)
			}
		}
	}
}
