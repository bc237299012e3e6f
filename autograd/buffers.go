package autograd

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/goras-ml/goras/internal/kernel"
)

// An inference plan keeps no activation for a backward pass, so the value
// of an op's output is needed only until the last op that reads it has run.
// Its op outputs therefore come from a pool of buffers, handed out when the
// plan is built and handed back when the builder says a value is dead:
//
//	s := p.Scope()
//	y := layer.Call(p, x) // outputs made in the call: from the pool
//	p.EndScope(s, y)      // what the call made but did not return goes back
//	...                   // the layers that read y
//	p.Release(y)          // after the last of them has been added: y's buffer goes back
//
// A buffer that goes back is handed to an op added later, which runs later,
// after every reader of the old value. So a chain of layers runs in the two
// largest buffers, not one per op. No value goes back unless the builder
// says so (a plan built without scopes keeps a buffer per op output, as
// before), and training plans never pool: Backward reads every activation.
//
// A pooled buffer is not zero when handed out; every op of this package
// overwrites all of its output in Forward. Outputs made with NewVar (ops
// written elsewhere, which may rely on zeros) are never pooled.

// buffer is one allocation of an inference plan's pool.
type buffer struct {
	data   []float32 // the whole allocation; a value may use a prefix
	holds  int       // EndScope keeps not yet Released
	scoped bool      // made in a scope that has not ended
	pinned bool      // never goes back (made outside any scope, or read by a fused op)
	free   bool
}

func (b *buffer) dead() bool { return b.holds == 0 && !b.scoped && !b.pinned }

// arena is the pool of one inference plan.
type arena struct {
	bufs  []*buffer // every buffer, in the order made
	free  []*buffer // those that may be handed out again
	made  []*buffer // handed out in the open scopes, innermost last
	depth int       // open scopes
	temps []*buffer // op scratch to go back when the op is added
	bytes int64     // every value and gradient buffer of the plan (Plan.Bytes)
}

// Scope marks the start of a builder's call (a layer's) in an inference
// plan; EndScope ends it. Scopes nest.
type Scope struct{ at, depth int }

// Scope opens a scope: the op outputs made until the matching EndScope go
// back to the pool at EndScope, except those EndScope is told to keep. In
// a training plan scopes do nothing.
func (p *Plan) Scope() Scope {
	if !p.noGrad {
		return Scope{}
	}
	a := &p.arena
	a.depth++
	return Scope{at: len(a.made), depth: a.depth}
}

// EndScope closes the innermost open scope s. The buffers of the op
// outputs made since s go back to the pool, for ops added from now on,
// except those that hold keep's values (or views of them), which stay
// until Release is called once per kept var. Keep the values that ops
// added later will read: a layer's output, never its intermediates.
func (p *Plan) EndScope(s Scope, keep ...*Var) {
	if !p.noGrad {
		return
	}
	a := &p.arena
	if s.depth != a.depth || s.at > len(a.made) {
		panic(fmt.Sprintf("autograd: EndScope of scope %d while scope %d is the innermost open one", s.depth, a.depth))
	}
	for _, v := range keep {
		if b := a.find(v); b != nil && !b.pinned {
			b.holds++
		}
	}
	made := a.made[s.at:]
	a.made = a.made[:s.at]
	for _, b := range made {
		if a.depth > 1 && b.holds > 0 {
			// Kept: a value of the enclosing scope now, which frees it
			// at its own end unless it keeps it too.
			a.made = append(a.made, b)
			continue
		}
		b.scoped = false
		a.put(b)
	}
	a.depth--
}

// Release says that no op added from now on reads v: in an inference plan
// the buffer holding v's value goes back to the pool once nothing else
// keeps it. Call it once for each EndScope that kept v. Vars the pool did
// not make (inputs, parameters, NewVar outputs) and training plans are
// left alone.
func (p *Plan) Release(v *Var) {
	if !p.noGrad {
		return
	}
	a := &p.arena
	b := a.find(v)
	if b == nil || b.pinned {
		return
	}
	if b.holds == 0 {
		panic("autograd: Release of a value that no EndScope kept (or released twice)")
	}
	b.holds--
	a.put(b)
}

// pin keeps v's buffer out of the pool for good: for ops that read a var
// other than their inputs (a fused cross-entropy reads the logits behind a
// softmax), which the builder cannot know of.
func (p *Plan) pin(v *Var) {
	if b := p.arena.find(v); b != nil {
		b.pinned = true
	}
}

// convScratch is the block buffers every convolution of the plan shares:
// a plan runs one op at a time, so it needs one worker set, sized to its
// largest convolution, not one per convolution.
func (p *Plan) convScratch() *kernel.ConvScratch {
	if p.convs == nil {
		p.convs = kernel.NewConvScratch()
	}
	return p.convs
}

// Bytes is the size of the plan's activation buffers: the op outputs and
// their gradients, pooled or not (op scratch and weights not included).
func (p *Plan) Bytes() int64 { return p.arena.bytes }

// value returns the storage of an op output of n values: from the pool in
// an inference plan, else newly made.
func (p *Plan) value(n int) []float32 {
	if !p.noGrad {
		return p.trainingBuffer(n)
	}
	if n == 0 {
		return make([]float32, 0)
	}
	a := &p.arena
	b := a.take(n)
	if a.depth == 0 {
		b.pinned = true
	} else {
		b.scoped = true
		a.made = append(a.made, b)
	}
	return b.data[:n:n]
}

// temp returns op scratch of n values that the op reads and writes only
// within its own Forward: in an inference plan a pool buffer that goes back
// as soon as the op is added, so that the next ops' outputs reuse it.
func (p *Plan) temp(n int) []float32 {
	if !p.noGrad || n == 0 {
		return make([]float32, n)
	}
	a := &p.arena
	b := a.take(n)
	a.temps = append(a.temps, b)
	return b.data[:n:n]
}

// take hands out the smallest free buffer of at least n values, or a new one.
func (a *arena) take(n int) *buffer {
	best := -1
	for i, b := range a.free {
		if len(b.data) >= n && (best < 0 || len(b.data) < len(a.free[best].data)) {
			best = i
		}
	}
	var b *buffer
	if best >= 0 {
		b = a.free[best]
		a.free = append(a.free[:best], a.free[best+1:]...)
		b.free = false
	} else {
		b = &buffer{data: make([]float32, n)}
		a.bufs = append(a.bufs, b)
		a.bytes += 4 * int64(n)
	}
	if poisonPool {
		for i := range b.data {
			b.data[i] = float32(math.NaN())
		}
	}
	return b
}

// poisonPool makes take fill what it hands out with NaN, so that tests
// catch an op that counts on a zeroed output.
var poisonPool bool

// put returns b to the free list when nothing holds it any more.
func (a *arena) put(b *buffer) {
	if b.dead() && !b.free {
		b.free = true
		a.free = append(a.free, b)
	}
}

// added is called when an op joins the plan: its scratch goes back.
func (a *arena) added() {
	for _, b := range a.temps {
		a.put(b)
	}
	a.temps = a.temps[:0]
}

// find returns the buffer v's value lies in (v may be a view, such as a
// Reshape), or nil when the pool did not make it.
func (a *arena) find(v *Var) *buffer {
	if v == nil || v.Value == nil || v.Value.Len() == 0 {
		return nil
	}
	at := uintptr(unsafe.Pointer(unsafe.SliceData(v.Value.Data())))
	for _, b := range a.bufs {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(b.data)))
		if at >= lo && at < lo+uintptr(len(b.data))*4 {
			return b
		}
	}
	return nil
}
