package autograd

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/internal/kernel"
)

// dropout is inverted dropout: in training each element is zeroed with
// probability rate and the kept ones are scaled by 1/(1-rate), so that the
// expected output equals the input and inference needs no rescaling. At
// inference the output is an exact copy of the input.
type dropout struct {
	x, y   *Var
	rate   float64
	thresh uint64    // a 32-bit draw below thresh drops the element
	scale  float32   // 1/(1-rate)
	mask   []float32 // 0 or scale per element, drawn by the last training Forward
	rng    *rand.Rand
	active bool // the last Forward applied the mask
}

// Dropout zeroes each element of x with probability rate in training and
// scales the rest by 1/(1-rate); it is the identity at inference. rate must
// be in [0, 1). Masks are drawn from rng, which the caller may share between
// plans (a layer's plans run one at a time), so that one seed fixes them.
func (p *Plan) Dropout(x *Var, rate float64, rng *rand.Rand) *Var {
	if !(rate >= 0 && rate < 1) || rng == nil {
		panic(fmt.Sprintf("autograd: Dropout with rate %v (want [0, 1)) and rng %p", rate, rng))
	}
	op := &dropout{
		x: x, rate: rate, rng: rng,
		thresh: uint64(rate * (1 << 32)),
		scale:  float32(1 / (1 - rate)),
	}
	if !p.noGrad {
		// An inference plan runs with training false and needs no mask
		// (Forward makes one should it ever run in training mode).
		op.mask = make([]float32, x.Value.Len())
	}
	op.y = p.newVar(op, x.Grad != nil, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *dropout) Forward(training bool) {
	o.active = training && o.rate > 0
	if !o.active {
		copy(o.y.Value.Data(), o.x.Value.Data())
		return
	}
	// Each 64-bit draw decides two elements (a 32-bit uniform each), which
	// halves the generator's cost; the drop probability is rate to 2⁻³².
	if o.mask == nil {
		o.mask = make([]float32, o.x.Value.Len())
	}
	m := o.mask
	for i := 0; i < len(m); i += 2 {
		r := o.rng.Uint64()
		m[i] = o.keep(r & 0xffffffff)
		if i+1 < len(m) {
			m[i+1] = o.keep(r >> 32)
		}
	}
	kernel.Mul(o.y.Value.Data(), o.x.Value.Data(), m)
}

func (o *dropout) keep(u uint64) float32 {
	if u < o.thresh {
		return 0
	}
	return o.scale
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
	for i, k := range o.mask {
		dx[i] += dy[i] * k
	}
}
