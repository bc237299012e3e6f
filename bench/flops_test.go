package main

import (
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

// TestTrainFLOPsMLP holds trainFLOPs to a count by hand for the course's
// MLP, Flatten → Dense(50) → Dense(10) on 28×28 images, per sample:
//
//	Dense 784→50: forward 2·784·50 = 78,400, weight gradient 78,400, no
//	input gradient (nothing below it has weights)            = 156,800
//	Dense 50→10: forward 2·50·10 = 1,000, weight gradient 1,000,
//	input gradient 1,000                                      =   3,000
//	                                                          = 159,800
func TestTrainFLOPsMLP(t *testing.T) {
	m, err := buildMLP(1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := trainFLOPs(m)
	if err != nil {
		t.Fatal(err)
	}
	if got != 159800 {
		t.Errorf("trainFLOPs(mlp) = %g per sample, want 159800", got)
	}
	if r := newPeakReport(got, 60000, 0.5, 1); r.EpochFLOPs != 9.588e9 || r.GFLOPS != 19.176 {
		t.Errorf("report of 60,000 samples in 0.5 s: %g FLOPs at %g GFLOP/s, want 9.588e9 at 19.176", r.EpochFLOPs, r.GFLOPS)
	}
}

// TestTrainFLOPsConv counts a convolution by hand: Input(8, 8, 1) →
// Conv2D(4, 3×3, valid) → Flatten → Dense(2), per sample:
//
//	Conv2D: output 6×6×4, forward 2·36·(3·3·1·4) = 2,592, weight gradient
//	2,592, no input gradient                                    = 5,184
//	Dense 144→2: forward 2·144·2 = 576, weight 576, input 576  = 1,728
//	                                                            = 6,912
func TestTrainFLOPsConv(t *testing.T) {
	m := goras.NewSequential(layers.Input(8, 8, 1), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(2))
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	got, err := trainFLOPs(m)
	if err != nil {
		t.Fatal(err)
	}
	if got != 6912 {
		t.Errorf("trainFLOPs = %g per sample, want 6912", got)
	}
}
