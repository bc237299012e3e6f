package autograd

// The gradients the package's other ops add into (overwrite.go), so that
// none of them stops the ops before it from setting the gradients they
// write first. None offers to set: each of these costs little next to the
// products and convolutions, or adds in several places (merges). Each
// lists every gradient its Backward may touch, ignoring early returns;
// TestGradSlotsCoverWrites checks the lists against what Backward writes.

// paramSlot is slot for a parameter that may be nil (a layer without bias).
func paramSlot(dst []gradSlot, w *Param) []gradSlot {
	if w == nil {
		return dst
	}
	return slot(dst, w.Grad)
}

// varsSlots lists the gradients of xs.
func varsSlots(dst []gradSlot, xs []*Var) []gradSlot {
	for _, x := range xs {
		dst = slot(dst, x.Grad)
	}
	return dst
}

// One input x and its gradient.
func (o *reluWith) gradSlots(dst []gradSlot) []gradSlot       { return slot(dst, o.x.Grad) }
func (o *randomCrop) gradSlots(dst []gradSlot) []gradSlot     { return slot(dst, o.x.Grad) }
func (o *upSampling2D) gradSlots(dst []gradSlot) []gradSlot   { return slot(dst, o.x.Grad) }
func (o *pad2D) gradSlots(dst []gradSlot) []gradSlot          { return slot(dst, o.x.Grad) }
func (o *softmaxAxes) gradSlots(dst []gradSlot) []gradSlot    { return slot(dst, o.x.Grad) }
func (o *randomContrast) gradSlots(dst []gradSlot) []gradSlot { return slot(dst, o.x.Grad) }
func (o *transpose) gradSlots(dst []gradSlot) []gradSlot      { return slot(dst, o.x.Grad) }
func (o *resize) gradSlots(dst []gradSlot) []gradSlot         { return slot(dst, o.x.Grad) }
func (o *globalMaxPool) gradSlots(dst []gradSlot) []gradSlot  { return slot(dst, o.x.Grad) }
func (o *pointwise) gradSlots(dst []gradSlot) []gradSlot      { return slot(dst, o.x.Grad) }
func (o *logSoftmax) gradSlots(dst []gradSlot) []gradSlot     { return slot(dst, o.x.Grad) }
func (o *rescale) gradSlots(dst []gradSlot) []gradSlot        { return slot(dst, o.x.Grad) }
func (o *spatialDropout2D) gradSlots(dst []gradSlot) []gradSlot {
	return slot(dst, o.x.Grad)
}
func (o *gaussianNoise) gradSlots(dst []gradSlot) []gradSlot   { return slot(dst, o.x.Grad) }
func (o *gaussianDropout) gradSlots(dst []gradSlot) []gradSlot { return slot(dst, o.x.Grad) }

// An input and parameters.
func (o *constantArithmetic) gradSlots(dst []gradSlot) []gradSlot {
	return paramSlot(slot(dst, o.x.Grad), o.c)
}
func (o *conv2DTranspose) gradSlots(dst []gradSlot) []gradSlot {
	return paramSlot(paramSlot(slot(dst, o.x.Grad), o.w), o.b)
}
func (o *depthwiseConv2D) gradSlots(dst []gradSlot) []gradSlot {
	return paramSlot(paramSlot(slot(dst, o.x.Grad), o.w), o.b)
}
func (o *layerNorm) gradSlots(dst []gradSlot) []gradSlot {
	return paramSlot(paramSlot(slot(dst, o.x.Grad), o.gamma), o.beta)
}
func (o *prelu) gradSlots(dst []gradSlot) []gradSlot { return paramSlot(slot(dst, o.x.Grad), o.alpha) }

// conv2DBN exists in inference plans only; its Backward does nothing.
func (o *conv2DBN) gradSlots(dst []gradSlot) []gradSlot { return dst }

// Merges: every input.
func (o *concat) gradSlots(dst []gradSlot) []gradSlot   { return varsSlots(dst, o.xs) }
func (o *sum) gradSlots(dst []gradSlot) []gradSlot      { return varsSlots(dst, o.xs) }
func (o *product) gradSlots(dst []gradSlot) []gradSlot  { return varsSlots(dst, o.xs) }
func (o *extreme) gradSlots(dst []gradSlot) []gradSlot  { return varsSlots(dst, o.xs) }
func (o *subtract) gradSlots(dst []gradSlot) []gradSlot { return slot(slot(dst, o.a.Grad), o.b.Grad) }

// Losses: the prediction (and the target, should it have a gradient).
func (o *klDivergence) gradSlots(dst []gradSlot) []gradSlot { return lossSlots(dst, o.pred, o.target) }
func (o *poisson) gradSlots(dst []gradSlot) []gradSlot      { return lossSlots(dst, o.pred, o.target) }
func (o *meanAbsoluteError) gradSlots(dst []gradSlot) []gradSlot {
	return lossSlots(dst, o.pred, o.target)
}
func (o *meanAbsolutePercentageError) gradSlots(dst []gradSlot) []gradSlot {
	return lossSlots(dst, o.pred, o.target)
}
func (o *huber) gradSlots(dst []gradSlot) []gradSlot   { return lossSlots(dst, o.pred, o.target) }
func (o *logCosh) gradSlots(dst []gradSlot) []gradSlot { return lossSlots(dst, o.pred, o.target) }
func (o *binaryCrossentropy) gradSlots(dst []gradSlot) []gradSlot {
	return lossSlots(dst, o.pred, o.target)
}
func (o *categoricalFocal) gradSlots(dst []gradSlot) []gradSlot {
	return lossSlots(dst, o.pred, o.target)
}
func (o *binaryFocal) gradSlots(dst []gradSlot) []gradSlot { return lossSlots(dst, o.pred, o.target) }
func (o *hinge) gradSlots(dst []gradSlot) []gradSlot       { return lossSlots(dst, o.pred, o.target) }
func (o *categoricalHinge) gradSlots(dst []gradSlot) []gradSlot {
	return lossSlots(dst, o.pred, o.target)
}

func lossSlots(dst []gradSlot, pred, target *Var) []gradSlot {
	return slot(slot(dst, pred.Grad), target.Grad)
}
