package autograd

// A batch normalization reading a convolution's output takes its batch
// statistics from that convolution, which sums each chunk of rows as soon
// as it has written the chunk's last sample, mostly from its cache
// (kernel.BNStats), where the normalization would read the whole output
// back from memory. The statistics, and so every value, keep their bits.

// convStatsOff turns the pairing off, for the tests that hold it against
// the ops run apart.
var convStatsOff bool

// statsFromConv pairs bn with the convolution whose output x is, when
// that convolution can take the statistics (bfloat16 products, or the
// shifted path with whole samples per unit) and takes none yet, in a
// training plan.
func (p *Plan) statsFromConv(bn *batchNorm, x *Var) {
	cv, ok := x.src.(*conv2D)
	if !ok || p.noGrad || convStatsOff || cv.y != x || cv.statsFor != nil || (cv.kb == nil && !cv.k.TakesStats()) {
		return
	}
	cv.statsFor = bn.k.NewStats(bn.m / p.batch)
	bn.statsFrom = cv
}

// setStats has the kernel take the statistics in a training Forward only,
// where the normalization uses them.
func (o *conv2D) setStats(training bool) {
	if o.statsFor == nil {
		return
	}
	s := o.statsFor
	if !training {
		s = nil
	}
	if o.kb != nil {
		o.kb.SetOutputStats(s)
	} else {
		o.k.SetOutputStats(s)
	}
}

// statistics is Stats of x, or, paired, the statistics the convolution
// took: mean and variance per channel.
func (o *batchNorm) statistics(mean, variance []float64) {
	if o.statsFrom != nil {
		o.k.StatsTaken(mean, variance, o.statsFrom.statsFor)
		return
	}
	o.k.Stats(mean, variance, o.x.Value.Data())
}
