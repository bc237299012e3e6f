package autograd

// The gradient buffers that ops in files being reworked elsewhere write,
// so that the plan need not treat them as ops that may write anything
// (which would stop every op before them from overwriting; overwrite.go).
// Each lists every gradient its Backward may add into, ignoring its early
// returns (listing more only zeroes more); batchNorm and pool2D offer to
// set their input's gradient, the others only add. Each method
// belongs in its op's file, beside Backward, and should move there when
// that file is next edited.

// gradSlots: batch normalization can set x's gradient (batchNorm.setX,
// the kernel's GradSet and GradReLUSet); its γ and β sums only add.
func (o *batchNorm) gradSlots(dst []gradSlot) []gradSlot {
	dst = setSlot(dst, o.x.Grad, &o.setX)
	if o.gamma != nil {
		dst = slot(dst, o.gamma.Grad)
	}
	if o.beta != nil {
		dst = slot(dst, o.beta.Grad)
	}
	return dst
}

// gradSlots: pool.go's gradSlotsSet, which lets the 2×2 max pooling set
// x's gradient when it writes it first.
func (o *pool2D) gradSlots(dst []gradSlot) []gradSlot { return o.gradSlotsSet(dst) }

func (o *globalAvgPool) gradSlots(dst []gradSlot) []gradSlot { return slot(dst, o.x.Grad) }
func (o *dropout) gradSlots(dst []gradSlot) []gradSlot       { return slot(dst, o.x.Grad) }
func (o *randomAffine) gradSlots(dst []gradSlot) []gradSlot  { return slot(dst, o.x.Grad) }
func (o *scaleGradient) gradSlots(dst []gradSlot) []gradSlot { return slot(dst, o.x.Grad) }
func (o *scaleRows) gradSlots(dst []gradSlot) []gradSlot     { return slot(dst, o.x.Grad) }

// gradSlots of the gradient checker's probe loss (gradcheck.go), so that
// CheckGradients runs the ops before it as training does, setting the
// gradients they write first.
func (o *probe) gradSlots(dst []gradSlot) []gradSlot { return slot(dst, o.y.Grad) }
