package autograd

import "fmt"

// A model trains with one plan per batch size, and an epoch whose last
// batch is smaller than the others needs a second one (60,000 images in
// batches of 128 leave 96). The two never run at the same time, so the
// second can live in the first one's buffers: its op outputs and their
// gradients, made in the same order by the same graph, each fit in the
// buffer the other plan made at the same place. Every op of this package
// overwrites its whole output in Forward (as inference plans' pooled
// buffers already require) and the plan zeroes every gradient before
// Backward, so what one plan leaves in a buffer never reaches the other.

// sharing is a training plan's record of its op output and gradient
// buffers, in the order made, and the plan lending it its own.
type sharing struct {
	owned [][]float32 // every value and gradient buffer, in the order made
	donor *Plan
}

// ShareBuffers makes training plan p, before any op is added, take the
// storage of its op outputs and their gradients from donor's, where each
// fits, instead of allocating it. p and donor must never run at the same
// time (one model's training plans for two batch sizes: training is one
// call at a time). Outputs made with NewVar, inputs and op scratch are
// not shared.
func (p *Plan) ShareBuffers(donor *Plan) {
	switch {
	case p.noGrad || donor == nil || donor.noGrad:
		panic("autograd: ShareBuffers is for two training plans")
	case len(p.ops) > 0 || len(p.share.owned) > 0:
		panic(fmt.Sprintf("autograd: ShareBuffers after %d ops were added; call it on the new plan first", len(p.ops)))
	}
	p.share.donor = donor
}

// trainingBuffer returns zeroed storage of n values for the next op output
// or gradient of a training plan: the donor's buffer made at the same
// place when it is large enough, else a new one (counted in Bytes).
func (p *Plan) trainingBuffer(n int) []float32 {
	var b []float32
	at := len(p.share.owned)
	if d := p.share.donor; d != nil && at < len(d.share.owned) && len(d.share.owned[at]) >= n {
		b = d.share.owned[at][:n:n]
		clear(b)
	} else {
		b = make([]float32, n)
		p.arena.bytes += 4 * int64(n)
	}
	p.share.owned = append(p.share.owned, b)
	return b
}
