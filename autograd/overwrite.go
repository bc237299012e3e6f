package autograd

import (
	"cmp"
	"slices"
	"unsafe"

	"github.com/goras-ml/goras/tensor"
)

// Plan.Backward used to zero every gradient buffer and let each op add
// into it. But the first op to write a gradient in the backward pass, most
// often its only writer (a Dense kernel's gradient is written by its
// MatMul alone), adds to zeros: zeroing the buffer first costs a pass over
// memory (runtime.memclrNoHeapPointers took 2–4 % of the CPU profiles of
// the course MLP and of best before this file). So the plan
// works out, once, which op writes each gradient it would zero first, and
// lets that op overwrite the buffer instead, if it can (as 0 + x would: the
// same float32 bits, +0 where the sum gives +0); the ops that write it
// later still add. Every other buffer is still zeroed: one whose first
// writer can only add, with no writer (its producer reads zeros), or that
// an op that does not say what it writes (one added with AddOp, or one of
// this package without gradSlots) may write before it in the backward pass.
//
// Convolutions (kernel.Conv2D.SetGrads) and batch normalizations set
// theirs too: in best, where they write nearly all that was left, the
// clearing fell from 2.4 % of a float32 CPU profile to 0.6 % (bfloat16
// products: 4.3 % to 1.6 %).

// gradSlot is one gradient buffer an op's Backward writes.
type gradSlot struct {
	g *tensor.Tensor
	// set, when not nil, is the op's flag for "you write g first: set it,
	// do not add": the op must then write every element of g on every
	// Backward. nil means the op always adds into g.
	set *bool
}

// gradWriter is implemented by the ops of this package that list the
// gradient buffers their Backward may write. Listing a buffer that is
// sometimes left alone is harmless unless it offers set.
type gradWriter interface {
	gradSlots(dst []gradSlot) []gradSlot
}

// writers is a plan's record of which gradient buffers Backward zeroes.
type writers struct {
	ready   bool        // zero is up to date with the plan's ops and gradients
	zero    [][]float32 // the buffers to clear before the backward pass
	addOnly bool        // zero every gradient and let no op overwrite (tests' reference)
}

// slot appends g to dst as a buffer written by adding, when g is not nil.
func slot(dst []gradSlot, g *tensor.Tensor) []gradSlot {
	if g == nil {
		return dst
	}
	return append(dst, gradSlot{g: g})
}

// setSlot appends g to dst as a buffer its op can overwrite, flagged by set,
// when g is not nil.
func setSlot(dst []gradSlot, g *tensor.Tensor, set *bool) []gradSlot {
	if g == nil {
		return dst
	}
	return append(dst, gradSlot{g: g, set: set})
}

// span is a gradient buffer's memory: two tensors whose data start at the
// same element and have the same length are one buffer (a Reshape's view).
type span struct {
	at  uintptr
	len int
}

func spanOf(d []float32) span {
	if len(d) == 0 {
		return span{}
	}
	return span{uintptr(unsafe.Pointer(&d[0])), len(d)}
}

// bufferUse is what the plan learns of one buffer it zeroes today.
type bufferUse struct {
	data    []float32
	first   int   // the op that writes it first in Backward (the last in p.ops), -1 for none
	set     *bool // that op's flag, nil when it can only add
	twice   bool  // that op writes it through two slots (in an order of its own)
	overlap bool  // shares memory with another buffer without being it
}

// planWrites fills p.wr.zero and sets the flags of the ops that may
// overwrite. It runs before the first Backward and again after ops or
// gradients are added.
func (p *Plan) planWrites() {
	uses := map[span]*bufferUse{}
	for _, g := range p.grads {
		if s := spanOf(g.Data()); uses[s] == nil {
			uses[s] = &bufferUse{data: g.Data(), first: -1}
		}
	}
	opaque := -1             // the last op that does not say what it writes
	writes := map[span]int{} // how many ops write each buffer
	var slots []gradSlot
	for i, op := range p.ops {
		w, ok := op.(gradWriter)
		if !ok {
			opaque = i
			continue
		}
		slots = w.gradSlots(slots[:0])
		for _, sl := range slots {
			if sl.set != nil {
				*sl.set = false
			}
			sp := spanOf(sl.g.Data())
			if u := uses[sp]; u == nil || u.first != i {
				writes[sp]++
			}
			u := uses[sp]
			if u == nil {
				// Not a buffer the plan zeroes (a view of part of one, made
				// outside it): never set, but seen by markOverlaps.
				u = &bufferUse{first: -1}
				uses[sp] = u
			}
			if u.first == i {
				u.twice = true
				continue
			}
			u.first, u.set, u.twice = i, sl.set, false
		}
	}
	markOverlaps(uses)
	p.wr.zero = p.wr.zero[:0]
	for _, g := range p.grads { // in p.grads order, so that the clears run in a fixed order
		u := uses[spanOf(g.Data())]
		switch {
		case u == nil || u.data == nil:
			continue // a second tensor of a buffer already handled
		case !p.wr.addOnly && u.set != nil && !u.twice && u.first > opaque && !u.overlap:
			*u.set = true
		default:
			p.wr.zero = append(p.wr.zero, u.data)
		}
		u.data = nil
	}
	p.pairConvBN(writes)
	p.pairNormSums(writes, opaque)
	p.wr.ready = true
}

// markOverlaps flags buffers that share memory with another one without
// being the same (a view of part of a gradient): who writes which part is
// then unclear, so both are zeroed.
func markOverlaps(uses map[span]*bufferUse) {
	spans := make([]span, 0, len(uses))
	for s := range uses {
		if s.len > 0 {
			spans = append(spans, s)
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.at, b.at) })
	for i, a := range spans {
		end := a.at + 4*uintptr(a.len)
		for _, b := range spans[i+1:] {
			if b.at >= end {
				break // sorted: no later span starts inside a
			}
			uses[a].overlap, uses[b].overlap = true, true
		}
	}
}

// zeroGrads clears the gradient buffers that no op overwrites.
func (p *Plan) zeroGrads() {
	if !p.wr.ready {
		p.planWrites()
	}
	for _, g := range p.wr.zero {
		clear(g)
	}
}

// setChunk is how many values setElementwise clears at a time: 8 KiB, so
// that the chunk, and the chunks of the operands read beside it, stay in
// the L1 cache between the clear and the add.
const setChunk = 2048

// setElementwise sets dx to what add(dx, dy, y) gives on a zeroed dx, for
// an element-wise add (element i of dx depends on element i of dy and y
// only): it zeroes dx a chunk at a time right before adding into that
// chunk. The result is zero-then-add's, bit for bit, while the zeroing
// touches only cached memory instead of a pass of its own over dx.
func setElementwise(add func(dx, dy, y []float32), dx, dy, y []float32) {
	for a := 0; a < len(dx); a += setChunk {
		b := min(a+setChunk, len(dx))
		clear(dx[a:b])
		add(dx[a:b], dy[a:b], y[a:b])
	}
}
