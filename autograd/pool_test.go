package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
)

// poolSpecial fills v with ties, ±0, NaNs of distinct payloads and
// infinities among normal values.
func poolSpecial(rng *rand.Rand, v []float32) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1, 1, -1,
		math.Float32frombits(0x7fc00011), math.Float32frombits(0xffc00022), float32(math.Inf(1)), float32(math.Inf(-1))}
	for i := range v {
		switch rng.IntN(3) {
		case 0:
			v[i] = float32(rng.IntN(3))
		case 1:
			v[i] = special[rng.IntN(len(special))]
		default:
			v[i] = float32(rng.NormFloat64())
		}
	}
}

// TestMaxPool2x2PlanBitIdentical: a plan's 2×2 stride-2 max pooling (which
// keeps a byte per output, kernel.MaxPool2DWins) gives the values and the
// input gradient of kernel.MaxPool2D and MaxPool2DBackward with int32
// indices, the path it replaced, bit for bit: odd sizes, channel counts
// below, at and above 16, ties, ±0 and NaNs in the input, the output's
// gradient and the gradient the input already holds from another op.
func TestMaxPool2x2PlanBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for _, s := range [][4]int{{3, 9, 7, 6}, {2, 28, 28, 6}, {2, 10, 10, 16}, {2, 5, 6, 19}, {1, 6, 5, 32}} {
		n, h, w, c := s[0], s[1], s[2], s[3]
		name := fmt.Sprint(s)
		p := NewPlan(n)
		x := leaf(p, rng, false, n, h, w, c)
		poolSpecial(rng, x.Value.Data())
		y := p.MaxPool2D(x, 2, 2, 2, 2, 0, 0, 0, 0)
		if op := y.src.(*pool2D); op.wins == nil || op.argmax != nil {
			t.Fatalf("%s: the plan does not keep bytes for a 2x2 stride-2 pooling", name)
		}
		// Σ y·ry and Σ x·rx: dL/dy = ry, and x's gradient holds rx
		// before the pooling adds to it (ops run backward in reverse).
		ry, rx := p.probe(y, rng).(*probe).r, p.probe(x, rng).(*probe).r
		poolSpecial(rng, ry)
		poolSpecial(rng, rx)
		p.Forward(true)
		p.Backward()

		g := kernel.Window{H: h, W: w, KH: 2, KW: 2, SH: 2, SW: 2}
		wantY, arg := make([]float32, len(ry)), make([]int32, len(ry))
		kernel.MaxPool2D(wantY, arg, x.Value.Data(), n, c, g)
		var zero float32 // the plan zeroes gradients, then adds to them
		dy, wantDx := make([]float32, len(ry)), make([]float32, len(rx))
		for i := range ry {
			dy[i] = zero + ry[i]
		}
		for i := range rx {
			wantDx[i] = zero + rx[i]
		}
		kernel.MaxPool2DBackward(wantDx, dy, arg, n, c, g)
		for i, v := range y.Value.Data() {
			if math.Float32bits(v) != math.Float32bits(wantY[i]) {
				t.Fatalf("%s: y[%d] = %v (%#x), want %v (%#x)", name, i, v, math.Float32bits(v), wantY[i], math.Float32bits(wantY[i]))
			}
		}
		for i, v := range x.Grad.Data() {
			if math.Float32bits(v) != math.Float32bits(wantDx[i]) {
				t.Fatalf("%s: dx[%d] = %v (%#x), want %v (%#x)", name, i, v, math.Float32bits(v), wantDx[i], math.Float32bits(wantDx[i]))
			}
		}

		// Set instead of add (overwrite.go), as the plan asks when the
		// pooling writes x's gradient first: on a gradient of NaNs, the
		// bits of the scatter into zeros.
		op := y.src.(*pool2D)
		slots := op.gradSlotsSet(nil)
		if len(slots) != 1 || slots[0].set != &op.setX || slots[0].g != x.Grad {
			t.Fatalf("%s: gradSlotsSet = %v, want x's gradient, settable", name, slots)
		}
		op.setX = true
		for i := range x.Grad.Data() {
			x.Grad.Data()[i] = float32(math.NaN())
		}
		op.Backward() // y's gradient is still ry from the last Backward
		wantSet := make([]float32, len(rx))
		kernel.MaxPool2DBackward(wantSet, dy, arg, n, c, g)
		for i, v := range x.Grad.Data() {
			if math.Float32bits(v) != math.Float32bits(wantSet[i]) {
				t.Fatalf("%s: set dx[%d] = %v (%#x), want %v (%#x)", name, i, v, math.Float32bits(v), wantSet[i], math.Float32bits(wantSet[i]))
			}
		}
	}
}
