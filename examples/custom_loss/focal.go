package main

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// FocalLoss is the focal loss of Lin et al. (2017) for one-hot targets and
// probabilities (a softmax output), with Keras's formula for
// categorical_focal_crossentropy:
//
//	loss = mean over samples of Σ_c -α·y_c·(1-p_c)^γ·log p_c
//
// with p clipped to [1e-7, 1-1e-7]. The factor (1-p)^γ fades out the samples
// the model already gets right, so that training spends itself on the hard
// ones; γ = 0 gives α times the cross-entropy.
//
// It is a loss written outside goras: it implements losses.Loss, computes
// with an op of its own (focalOp below) and registers its name so that a
// saved model finds it again.
type FocalLoss struct {
	Alpha float64 // weight of every class, Keras's default 0.25
	Gamma float64 // focusing exponent ≥ 0, Keras's default 2
}

const focalEpsilon = 1e-7 // Keras's backend epsilon, the clip of p

func init() { losses.Register("focal_loss", focalFromConfig) }

// focalFromConfig rebuilds the loss; losses.FromConfig hands numbers over as
// float64, and an empty config for the defaults.
func focalFromConfig(config map[string]any) (losses.Loss, error) {
	f := FocalLoss{Alpha: 0.25, Gamma: 2}
	for k, v := range config {
		x, ok := v.(float64)
		switch {
		case k == "name" || k == "reduction":
		case k == "alpha" && ok:
			f.Alpha = x
		case k == "gamma" && ok && x >= 0:
			f.Gamma = x
		default:
			return nil, fmt.Errorf("focal_loss config: %q = %v is not a number (alpha) or a number ≥ 0 (gamma)", k, v)
		}
	}
	return f, nil
}

func (FocalLoss) Name() string { return "focal_loss" }

func (f FocalLoss) Config() map[string]any {
	return map[string]any{"alpha": f.Alpha, "gamma": f.Gamma}
}

func (f FocalLoss) CheckTarget(pred, target []int) error {
	if f.Gamma < 0 {
		return fmt.Errorf("focal_loss: gamma must be ≥ 0, got %g", f.Gamma)
	}
	if !tensor.SameShape(pred, target) {
		return fmt.Errorf("focal_loss needs one-hot targets shaped like the model output %s, got %s; one-hot encode the labels with mnist.ToCategorical",
			tensor.ShapeString(pred, true), tensor.ShapeString(target, true))
	}
	return nil
}

// Build adds the op to the plan: a loss whose op is not added never runs.
func (f FocalLoss) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	op := &focalOp{pred: pred, target: target, alpha: f.Alpha, gamma: f.Gamma}
	p.AddOp(op)
	return op
}

// focalOp is the loss over pred and target (N, C), summed in float64.
type focalOp struct {
	pred, target *autograd.Var
	alpha, gamma float64
	loss         float64
}

func clip(p float32) float64 {
	return min(max(float64(p), focalEpsilon), 1-focalEpsilon)
}

func (o *focalOp) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		if t[i] == 0 { // most of a one-hot row: nothing to add
			continue
		}
		p := clip(v)
		s -= o.alpha * float64(t[i]) * math.Pow(1-p, o.gamma) * math.Log(p)
	}
	o.loss = s / float64(o.pred.Value.Dim(0))
}

// Backward adds dLoss/dp = α·y·(γ(1-p)^(γ-1)·log p - (1-p)^γ/p) / N to the
// prediction's gradient; it is 0 where the clip holds p.
func (o *focalOp) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	n := float64(o.pred.Value.Dim(0))
	for i, v := range o.pred.Value.Data() {
		p := float64(v)
		if t[i] == 0 || p <= focalEpsilon || p >= 1-focalEpsilon {
			continue
		}
		d := o.gamma*math.Pow(1-p, o.gamma-1)*math.Log(p) - math.Pow(1-p, o.gamma)/p
		g[i] += float32(o.alpha * float64(t[i]) * d / n)
	}
}

func (o *focalOp) Loss() float64 { return o.loss }
