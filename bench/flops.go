package main

import (
	"fmt"
	"io"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/kernel"
)

// trainFLOPs counts the floating-point operations one training sample costs
// in the products of a built model's Dense and Conv2D layers, forward and
// backward: each product of an m×k by a k×n matrix is 2·m·k·n FLOPs (one
// FMA is two), and a layer's backward pass is the weight gradient (as many
// as the forward) plus, when anything below the layer has weights, the
// input gradient (as many again). Bias additions, batch normalization,
// activations, pooling, the loss and the optimizer are left out: they are
// a few FLOPs per value moved, bound by memory, not by the FMA units whose
// peak the count is held against.
func trainFLOPs(m *goras.Model) (float64, error) {
	needGrad := map[*goras.KerasTensor]bool{} // a gradient flows into this tensor
	var total float64
	for _, t := range m.Nodes() {
		l := t.Layer()
		inGrad := false
		for _, in := range t.Inputs() {
			inGrad = inGrad || needGrad[in]
		}
		hasWeights := false
		for _, p := range l.Params() {
			hasWeights = hasWeights || p.Trainable
		}
		needGrad[t] = inGrad || hasWeights
		var fwd float64
		switch l.ClassName() {
		case "Dense":
			w, out := l.Params()[0].Shape(), t.Shape() // (in, units), (..., units)
			rows := 1                                  // Dense on (T, in) multiplies T rows
			for _, d := range out[:len(out)-1] {
				rows *= d
			}
			fwd = 2 * float64(rows) * float64(w[0]) * float64(w[1])
		case "Conv2D":
			w, out := l.Params()[0].Shape(), t.Shape() // (KH, KW, C, F), (OH, OW, F)
			if len(w) != 4 || len(out) != 3 {
				return 0, fmt.Errorf("bench: Conv2D %s: kernel %v, output %v; want 4 and 3 axes", l.Name(), w, out)
			}
			fwd = 2 * float64(out[0]*out[1]) * float64(w[0]*w[1]*w[2]*w[3])
		default:
			continue
		}
		total += 2 * fwd // forward and the weight gradient
		if inGrad {
			total += fwd
		}
	}
	return total, nil
}

// peakReport is the "% of peak" of a training run: the product FLOPs of an
// epoch over its median time, against the FMA peak of the cores the run
// used, measured after training (kernel.FMAPeak, best of five 20 ms runs).
type peakReport struct {
	EpochFLOPs float64 // per epoch, trainFLOPs × samples
	GFLOPS     float64 // EpochFLOPs / median epoch seconds / 1e9
	Peak       float64 // GFLOP/s of Threads cores, 0 when unmeasured
	Percent    float64 // 100 · GFLOPS / Peak
}

func newPeakReport(flopsPerSample float64, samples int, epochSeconds float64, threads int) peakReport {
	r := peakReport{EpochFLOPs: flopsPerSample * float64(samples)}
	if epochSeconds > 0 {
		r.GFLOPS = r.EpochFLOPs / epochSeconds / 1e9
	}
	r.Peak = kernel.FMAPeak(threads)
	if r.Peak > 0 {
		r.Percent = 100 * r.GFLOPS / r.Peak
	}
	return r
}

// print writes the report as one line for a reader (stderr: stdout carries
// the JSON lines compare.sh pairs).
func (r peakReport) print(w io.Writer, model string, threads int) {
	peak := "not measured in this build"
	if r.Peak > 0 {
		peak = fmt.Sprintf("%.0f GFLOP/s", r.Peak)
	}
	fmt.Fprintf(w, "bench: %s: %.3g FLOPs per epoch (Dense and Conv2D products, forward and backward) at %.1f GFLOP/s = %.1f %% of peak; FMA peak of %d cores %s; CPU %s; GEMM %s\n",
		model, r.EpochFLOPs, r.GFLOPS, r.Percent, threads, peak, kernel.CPUName(), kernel.GemmName())
}
