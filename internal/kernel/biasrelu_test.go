package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBiasReLUSameBits holds biasAct with its assembly loop against AddTo
// then ReLU bit for bit: biases of 1 to 33 filters repeated convBiasReps
// times, outputs of whole repeats and not, y and bias holding ±0, ±Inf and
// NaNs (of two payloads, whose sums ReLU turns into +0 as it does any NaN).
func TestBiasReLUSameBits(t *testing.T) {
	defer func() { biasReLUVecOff = false }()
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00002), 1e-45, -1e-45}
	for _, f := range []int{1, 6, 16, 17, 33} {
		for _, n := range []int{1, 15, 16, 17, 16 * f, 16*f + 5, 1000} {
			t.Run(fmt.Sprintf("f=%d/n=%d", f, n), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(f), uint64(n)))
				y0, bias := randSlice(r, n), randSlice(r, f)
				for i := range y0 {
					if r.IntN(5) == 0 {
						y0[i] = special[r.IntN(len(special))]
					}
				}
				bias[0] = float32(math.Copysign(0, -1))
				if f > 2 {
					bias[1], bias[2] = -y0[1%n], float32(math.Inf(-1))
				}
				rep := make([]float32, convBiasReps*f)
				for i := range rep {
					rep[i] = bias[i%f]
				}
				var got, want []float32
				for _, off := range []bool{true, false} {
					biasReLUVecOff = off
					y := append([]float32(nil), y0...)
					biasAct(y, rep, true)
					if off {
						want = y
					} else {
						got = y
					}
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("y[%d] = %v (bits %#x), want %v (bits %#x) as AddTo then ReLU (y0 %v)",
							i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]), y0[i])
					}
				}
			})
		}
	}
}

// BenchmarkBiasReLU times biasAct on one sample of LeNet-5's first layer
// (28·28·6 outputs) and second (10·10·16), passes ("old") against one
// assembly loop ("new"), alternated over rounds in one process.
func BenchmarkBiasReLU(b *testing.B) {
	defer func() { biasReLUVecOff = false }()
	for _, sh := range []struct{ pix, f int }{{784, 6}, {100, 16}} {
		r := rand.New(rand.NewPCG(1, 1))
		y, bias := randSlice(r, sh.pix*sh.f), randSlice(r, sh.f)
		rep := make([]float32, convBiasReps*sh.f)
		for i := range rep {
			rep[i] = bias[i%sh.f]
		}
		for round := range 4 {
			for _, old := range []bool{true, false} {
				name := map[bool]string{true: "old", false: "new"}[old]
				b.Run(fmt.Sprintf("f=%d/%s/%d", sh.f, name, round), func(b *testing.B) {
					biasReLUVecOff = old
					for b.Loop() {
						biasAct(y, rep, true)
					}
				})
			}
		}
	}
}
