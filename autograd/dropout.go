package autograd

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/internal/kernel"
)

// dropoutBlock is how many draws a training Forward makes before turning
// them into a mask (two elements a draw): 16 KB, so that they are still in
// L1 when read, and enough that the PCG's per-run set-up is paid rarely.
const dropoutBlock = 2048

// dropout is inverted dropout: in training each element is zeroed with
// probability rate and the kept ones are scaled by 1/(1-rate), so that the
// expected output equals the input and inference needs no rescaling. At
// inference the output is an exact copy of the input.
type dropout struct {
	x, y   *Var
	rate   float64
	thresh uint32   // a 32-bit draw below thresh drops the element
	scale  float32  // 1/(1-rate)
	keep   []uint16 // bit i%16 of keep[i/16]: element i kept by the last training Forward
	draws  []uint64 // one block of draws (dropoutBlock at most)
	src    rand.Source
	pcg    *rand.PCG // src itself when it is a PCG, whose draws kernel.PCGFill makes in bulk
	state  [20]byte  // pcg's MarshalBinary form, read and written once per Forward
	active bool      // the last Forward applied the mask
}

// Dropout zeroes each element of x with probability rate in training and
// scales the rest by 1/(1-rate); it is the identity at inference. rate must
// be in [0, 1). Masks are drawn from rng, which the caller may share between
// plans (a layer's plans run one at a time), so that one seed fixes them.
// Each training step takes ⌈n/2⌉ rng.Uint64 draws for n elements, the
// low 32 bits deciding one element and the high 32 bits the next.
func (p *Plan) Dropout(x *Var, rate float64, rng *rand.Rand) *Var {
	if rng == nil {
		panic(fmt.Sprintf("autograd: Dropout with rate %v and a nil rng", rate))
	}
	return p.DropoutSource(x, rate, rng)
}

// DropoutSource is Dropout drawing from src: it draws exactly the masks
// Dropout(x, rate, rand.New(src)) draws and leaves src in the same state.
// When src is a *rand.PCG the draws are made in blocks, many at once,
// rather than one call per draw: a training Forward over 128×1600 values
// takes 51 µs where one rng.Uint64 call per draw took 349 µs (and the
// branchy mask of before, 1.35 ms), which is why the Dropout layer passes
// its PCG here.
func (p *Plan) DropoutSource(x *Var, rate float64, src rand.Source) *Var {
	if !(rate >= 0 && rate < 1) || src == nil {
		panic(fmt.Sprintf("autograd: Dropout with rate %v (want [0, 1)) and source %v", rate, src))
	}
	op := &dropout{
		x: x, rate: rate, src: src,
		// rate < 1, so rate·2³² < 2³² fits 32 bits.
		thresh: uint32(rate * (1 << 32)),
		scale:  float32(1 / (1 - rate)),
	}
	op.pcg, _ = src.(*rand.PCG)
	if !p.noGrad {
		// An inference plan runs with training false and needs no mask
		// (Forward makes one should it ever run in training mode).
		op.makeBuffers()
	}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *dropout) makeBuffers() {
	n := o.x.Value.Len()
	o.keep = make([]uint16, (n+15)/16)
	o.draws = make([]uint64, min((n+1)/2, dropoutBlock))
}

func (o *dropout) Forward(training bool) {
	o.active = training && o.rate > 0
	if !o.active {
		copy(o.y.Value.Data(), o.x.Value.Data())
		return
	}
	if o.keep == nil {
		o.makeBuffers()
	}
	var hi, lo uint64
	if o.pcg != nil {
		hi, lo = o.pcgState()
	}
	x, y := o.x.Value.Data(), o.y.Value.Data()
	// Each 64-bit draw decides two elements (a 32-bit uniform each), which
	// halves the generator's cost; the drop probability is rate to 2⁻³².
	// A block but the last covers 2·dropoutBlock elements, a multiple of
	// 16, so draw j decides elements 2j and 2j+1 and keep's words
	// stay whole whatever the block size.
	for i := 0; i < len(y); i += 2 * len(o.draws) {
		e := min(len(y), i+2*len(o.draws))
		d := o.draws[:(e-i+1)/2]
		if o.pcg != nil {
			hi, lo = kernel.PCGFill(d, hi, lo)
		} else {
			for j := range d {
				d[j] = o.src.Uint64()
			}
		}
		kernel.DropoutMask(y[i:e], x[i:e], o.keep[i/16:(e+15)/16], d, o.thresh, o.scale)
	}
	if o.pcg != nil {
		o.setPCGState(hi, lo)
	}
}

// pcgState reads the PCG's 128-bit state without allocating: its binary
// form is "pcg:" and the high and low words, big-endian.
func (o *dropout) pcgState() (hi, lo uint64) {
	b, err := o.pcg.AppendBinary(o.state[:0])
	if err != nil || len(b) != len(o.state) {
		panic(fmt.Sprintf("autograd: Dropout's PCG state %q: %v", b, err))
	}
	return binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])
}

// setPCGState moves the PCG on to the state after the draws made.
func (o *dropout) setPCGState(hi, lo uint64) {
	binary.BigEndian.PutUint64(o.state[4:], hi)
	binary.BigEndian.PutUint64(o.state[12:], lo)
	if err := o.pcg.UnmarshalBinary(o.state[:]); err != nil {
		panic("autograd: Dropout's PCG state: " + err.Error())
	}
}

func (o *dropout) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	if !o.active {
		kernel.AddTo(dx, dy)
		return
	}
	kernel.DropoutBackward(dx, dy, o.keep, o.scale)
}
