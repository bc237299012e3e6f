package optimizers

import (
	"math/rand/v2"
	"testing"
)

// The hand example every rule is checked on: w0 = [1, -2] and three steps
// with gradients g1 = [0.5, -1], g2 = [0.1, 0.3], g3 = [-0.2, 0]. The zero
// in g3 makes the second moment shrink, so AMSGrad differs from Adam there.
var (
	handW0    = []float64{1, -2}
	handGrads = [][]float64{{0.5, -1}, {0.1, 0.3}, {-0.2, 0}}
)

// TestHandComputed checks each rule against numbers worked out by hand from
// the Keras formulas, in float64 (the first rows, e.g.):
//
//	SGD lr 0.1:            w1 = [1-0.1*0.5, -2+0.1*1] = [0.95, -1.9]
//	SGD μ 0.9:             v2 = 0.9*(-0.05) - 0.1*0.1 = -0.055; w2[0] = 0.95-0.055 = 0.895
//	SGD Nesterov μ 0.9:    v1 = -0.05; w1[0] = 1 + 0.9*(-0.05) - 0.05 = 0.905
//	Adam lr 0.1:           α1 = 0.1*sqrt(0.001)/0.1; m1 = 0.05, v1 = 0.00025;
//	                       w1[0] = 1 - α1*0.05/(0.0158114+1e-7) = 0.9000006325
//	Adagrad lr 0.1:        acc1 = 0.1+0.25; w1[0] = 1 - 0.1*0.5/sqrt(0.35+1e-7) = 0.9154845866
//	RMSprop lr 0.1:        v1 = 0.1*0.25; w1[0] = 1 - 0.1*0.5/sqrt(0.025+1e-7) = 0.6837728664
//	Adamax lr 0.1:         m1 = 0.05, u1 = 0.5; w1[0] = 1 - 0.1*0.05/(0.1*(0.5+1e-7)) = 0.90000002
//	Adadelta lr 1:         a1 = 0.05*0.25; Δ1 = -sqrt(1e-7)*0.5/sqrt(0.0125+1e-7); w1[0] = 1+Δ1 = 0.9985857921
//	Lion lr 0.1:           u1 = 0.1*0.5 > 0: w1[0] = 0.9; m1 = 0.005, u2 = 0.9*0.005+0.1*0.1 > 0: w2[0] = 0.8
//	Ftrl lr 0.1:           z1 = 0.5 - (sqrt(0.35)-sqrt(0.1))/0.1*1 = -2.2538; w1[0] = 2.2538/(sqrt(0.35)/0.1) = 0.3809620907
//
// and the rest by the same formulas (see the Nadam, RMSprop-centered doc
// comments).
func TestHandComputed(t *testing.T) {
	cases := []struct {
		s    spec
		want [3][2]float64 // w after steps 1, 2, 3
	}{
		{spec{name: "SGD", kind: "sgd", lr: 0.1},
			[3][2]float64{{0.95, -1.9}, {0.94, -1.93}, {0.96, -1.93}}},
		{spec{name: "SGD momentum", kind: "sgd", lr: 0.1, momentum: 0.9},
			[3][2]float64{{0.95, -1.9}, {0.895, -1.84}, {0.8655, -1.786}}},
		{spec{name: "SGD Nesterov", kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: true},
			[3][2]float64{{0.905, -1.81}, {0.8455, -1.786}, {0.83895, -1.7374}}},
		{spec{name: "Adam", kind: "adam", lr: 0.1},
			[3][2]float64{{0.9000006325, -1.900000316}, {0.8196970329, -1.857215587}, {0.7852618562, -1.824142867}}},
		{spec{name: "Adam defaults", kind: "adam"},
			[3][2]float64{{0.9990000063, -1.999000003}, {0.9981969703, -1.998572156}, {0.9978526186, -1.998241429}}},
		{spec{name: "Adam AMSGrad", kind: "adam", lr: 0.1, amsgrad: true},
			[3][2]float64{{0.9000006325, -1.900000316}, {0.8196970329, -1.857215587}, {0.7852618562, -1.824159407}}},
		{spec{name: "AdamW", kind: "adamw", lr: 0.1, wd: 0.1},
			[3][2]float64{{0.8900006325, -1.880000316}, {0.8007970265, -1.818415584}, {0.7583538796, -1.767158708}}},
		{spec{name: "RMSprop", kind: "rmsprop", lr: 0.1},
			[3][2]float64{{0.6837728664, -1.683772392}, {0.6185401979, -1.779118603}, {0.7446532794, -1.779118603}}},
		{spec{name: "RMSprop centered momentum", kind: "rmsprop", lr: 0.1, momentum: 0.5, centered: true},
			[3][2]float64{{0.6666674074, -1.666666852}, {0.430115626, -1.597128813}, {0.4401930226, -1.562359794}}},
		{spec{name: "Adagrad", kind: "adagrad", lr: 0.1},
			[3][2]float64{{0.9154845866, -1.904653745}, {0.8988179222, -1.932154699}, {0.9304406949, -1.932154699}}},
		{spec{name: "Nadam", kind: "nadam", lr: 0.1},
			[3][2]float64{{0.8937212409, -1.89372123}, {0.8666038573, -1.91618536}, {0.8970386065, -1.911253437}}},
		{spec{name: "Adamax", kind: "adamax", lr: 0.1},
			[3][2]float64{{0.90000002, -1.90000001}, {0.8420473421, -1.868389455}, {0.8202325209, -1.848423346}}},
		{spec{name: "Adadelta", kind: "adadelta", lr: 1},
			[3][2]float64{{0.9985857921, -1.998585788}, {0.9981837794, -1.999174135}, {0.9989522228, -1.999174135}}},
		{spec{name: "Lion", kind: "lion", lr: 0.1},
			[3][2]float64{{0.9, -1.9}, {0.8, -2.0}, {0.9, -1.9}}},
		{spec{name: "Ftrl", kind: "ftrl", lr: 0.1},
			[3][2]float64{{0.3809620907, -1.301631052}, {0.364295424, -1.329132007}, {0.3959182006, -1.329132007}}},
		{spec{name: "Ftrl l1 l2", kind: "ftrl", lr: 0.1, l1: give(0.5), l2: give(0.1)},
			[3][2]float64{{0.2867526561, -1.230493335}, {0.2706236239, -1.257499166}, {0.3012770539, -1.257499166}}},
		// SGD with moving averages (momentum 0.5), overwriting every 2 steps:
		// avg1 = w1 (momentum 0 on the first step); avg2 = (0.95+0.94)/2 =
		// 0.945 replaces w2; w3 = 0.945+0.02.
		{spec{name: "SGD EMA", kind: "sgd", lr: 0.1, ema: true, emaM: give(0.5), emaEvery: 2},
			[3][2]float64{{0.95, -1.9}, {0.945, -1.915}, {0.965, -1.915}}},
	}
	for _, c := range cases {
		t.Run(c.s.name, func(t *testing.T) {
			o := c.s.new(t)
			w := tensors([][]float64{handW0})
			if err := o.Build(w); err != nil {
				t.Fatal(err)
			}
			for step, g := range handGrads {
				o.Apply(w, tensors([][]float64{g}))
				for j, want := range c.want[step] {
					if got := float64(w[0].Data()[j]); !closeTo(got, want, 2e-6) {
						t.Errorf("step %d w[%d] = %.10g, want %.10g", step+1, j, got, want)
					}
				}
			}
			if o.Iterations() != 3 {
				t.Errorf("Iterations() = %d, want 3", o.Iterations())
			}
		})
	}
}

// TestAgainstReference runs every spec for 50 random steps on two variables
// next to the float64 reference and compares with tolerance 1e-5 (relative
// for |w| >= 1, absolute below).
func TestAgainstReference(t *testing.T) {
	for _, s := range specs {
		t.Run(s.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(s.name))))
			sizes := []int{3, 7}
			w64 := make([][]float64, len(sizes))
			for i, n := range sizes {
				w64[i] = make([]float64, n)
				for j := range w64[i] {
					w64[i][j] = rng.Float64()*4 - 2
				}
			}
			w := tensors(w64)
			// Start the reference from the float32-rounded weights.
			for i := range w64 {
				for j := range w64[i] {
					w64[i][j] = float64(w[i].Data()[j])
				}
			}
			o := s.new(t)
			if err := o.Build(w); err != nil {
				t.Fatal(err)
			}
			r := newRef(s, sizes)
			for step := range 50 {
				g64 := make([][]float64, len(sizes))
				for i, n := range sizes {
					g64[i] = make([]float64, n)
					for j := range g64[i] {
						g64[i][j] = float64(float32(rng.NormFloat64()))
					}
				}
				g := tensors(g64)
				o.Apply(w, g)
				r.step(w64, g64)
				for i := range w64 {
					for j, want := range w64[i] {
						if got := float64(w[i].Data()[j]); !closeTo(got, want, 1e-5) {
							t.Fatalf("step %d w[%d][%d] = %.9g, reference %.9g", step+1, i, j, got, want)
						}
					}
				}
			}
			// The end of training puts the moving averages into the weights.
			o.(Finalizer).FinalizeVariableValues(w)
			if s.ema {
				w64 = r.avg
			}
			for i := range w64 {
				for j, want := range w64[i] {
					if got := float64(w[i].Data()[j]); !closeTo(got, want, 1e-5) {
						t.Fatalf("after FinalizeVariableValues w[%d][%d] = %.9g, reference %.9g", i, j, got, want)
					}
				}
			}
		})
	}
}
