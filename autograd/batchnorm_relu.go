package autograd

// BatchNormReLU is ReLU(BatchNorm(x, ...)) as one op, for a normalization
// whose output nothing but the ReLU reads: its Forward writes
// max(γ·x̂ + β, 0) in the pass that applies the normalization, and its
// Backward masks the ReLU's output gradient where γ·x̂ + β > 0 while the
// normalization's backward passes read it (recomputing γ·x̂ + β from x,
// which they read anyway, rather than reading y). That saves the ReLU's
// passes over the activations, the normalization's output and its
// gradient buffer (which Backward would also zero every step), and reads
// no more than BatchNorm's backward alone. The results are the
// same bits as the two ops, the moving statistics move the same way, and
// Forward(false) uses them as BatchNorm does.
func (p *Plan) BatchNormReLU(x *Var, gamma, beta, movingMean, movingVar *Param, momentum, epsilon float64) *Var {
	return p.batchNorm("BatchNormReLU", x, gamma, beta, movingMean, movingVar, momentum, epsilon, true)
}

// FreezeBatchNorm makes the normalization whose output is y (BatchNorm or
// BatchNormReLU) normalize with its moving statistics and leave them
// alone in training Forwards too, as at inference; its gradients are
// those of that affine map. It is Keras's BatchNormalization with
// trainable = False, which runs in inference mode whatever the training
// flag. It panics when y is not a normalization's output.
func (p *Plan) FreezeBatchNorm(y *Var) {
	bn, ok := y.src.(*batchNorm)
	if !ok || bn.y != y {
		panic("autograd: FreezeBatchNorm of a value that no BatchNorm made")
	}
	bn.frozen = true
	if cv := bn.statsFrom; cv != nil { // no batch statistics to take
		cv.statsFor, bn.statsFrom = nil, nil
	}
}
