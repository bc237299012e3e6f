package kernel

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// pcgState reads (hi, lo) out of a PCG's MarshalBinary.
func pcgState(t *testing.T, p *rand.PCG) (uint64, uint64) {
	b, err := p.MarshalBinary()
	if err != nil || len(b) != 20 {
		t.Fatalf("PCG state %q, %v", b, err)
	}
	return binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])
}

// TestPCGFill holds PCGFill (vector and pure-Go) against math/rand/v2's own
// PCG: the same draws, and the state the generator reaches after them.
func TestPCGFill(t *testing.T) {
	for _, vec := range vectorModes(usePCGVec) {
		old := usePCGVec
		usePCGVec = vec
		for _, n := range []int{0, 1, 2, 15, 16, 17, 31, 32, 33, 48, 100, 257, 1000} {
			for seed := uint64(1); seed <= 3; seed++ {
				ref := rand.NewPCG(seed, seed*0x9e3779b97f4a7c15)
				ref.Uint64() // not at a fresh state
				hi, lo := pcgState(t, ref)
				got := make([]uint64, n)
				hi, lo = PCGFill(got, hi, lo)
				for i, g := range got {
					if w := ref.Uint64(); g != w {
						t.Fatalf("vec %v, n %d, seed %d: draw %d = %#x, want %#x", vec, n, seed, i, g, w)
					}
				}
				if wh, wl := pcgState(t, ref); hi != wh || lo != wl {
					t.Fatalf("vec %v, n %d: state after (%#x, %#x), want (%#x, %#x)", vec, n, hi, lo, wh, wl)
				}
			}
		}
		usePCGVec = old
	}
}

// vectorModes is the settings of a SIMD flag a test runs under: both where
// the CPU has the instructions, only false elsewhere.
func vectorModes(have bool) []bool {
	if have {
		return []bool{false, true}
	}
	return []bool{false}
}

// dropoutMaskReference is the mask as autograd drew it before DropoutMask:
// a branch per element.
func dropoutMaskReference(y, mask, x []float32, draws []uint64, thresh uint32, scale float32) {
	for i := range y {
		u := uint32(draws[i/2] >> (32 * (i % 2)))
		mask[i] = scale
		if u < thresh {
			mask[i] = 0
		}
		y[i] = x[i] * mask[i]
	}
}

// dropoutInputs makes n inputs with NaN, -Inf, -0 and a subnormal among
// them, and ⌈n/2⌉ draws whose first straddles thresh.
func dropoutInputs(r *rand.Rand, n int, thresh uint32) ([]float32, []uint64) {
	specials := []float32{float32(math.NaN()), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), -3, 1e-40}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
		if i%7 == 3 {
			x[i] = specials[i%len(specials)]
		}
	}
	draws := make([]uint64, (n+1)/2)
	for i := range draws {
		draws[i] = r.Uint64()
	}
	draws[0] = uint64(thresh)<<32 | uint64(thresh-1) // both sides of the threshold
	return x, draws
}

var dropoutSizes = []int{1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 1001}

func TestDropoutMask(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, vec := range vectorModes(useDropoutVec) {
		old := useDropoutVec
		useDropoutVec = vec
		for _, n := range dropoutSizes {
			for _, thresh := range []uint32{0, 1, 1 << 31, 0x40000000, math.MaxUint32, r.Uint32()} {
				x, draws := dropoutInputs(r, n, thresh)
				scale := float32(1 / (1 - float64(thresh)/(1<<32)))
				want, wantMask := make([]float32, n), make([]float32, n)
				dropoutMaskReference(want, wantMask, x, draws, thresh, scale)
				got, keep := make([]float32, n), make([]uint16, (n+15)/16)
				for i := range keep {
					keep[i] = 0xffff // every bit must be written
				}
				DropoutMask(got, x, keep, draws, thresh, scale)
				sameSliceBits(t, "y", got, want)
				for i := range (n + 15) / 16 * 16 {
					bit := keep[i/16]>>(i%16)&1 == 1
					if kept := i < n && wantMask[i] != 0; bit != kept {
						t.Fatalf("vec %v, n %d, thresh %#x: keep bit %d is %v, want %v", vec, n, thresh, i, bit, kept)
					}
				}
				DropoutMask(x, x, keep, draws, thresh, scale) // y aliasing x
				sameSliceBits(t, "y in place", x, want)
			}
		}
		useDropoutVec = old
	}
}

// TestDropoutBackward holds DropoutBackward against dx[i] += dy[i]*mask[i]
// with the float32 mask, NaNs of different payloads in both, -0 in dx.
func TestDropoutBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, vec := range vectorModes(useDropoutVec) {
		old := useDropoutVec
		useDropoutVec = vec
		for _, n := range dropoutSizes {
			const thresh = 1 << 31
			scale := float32(2)
			dy, draws := dropoutInputs(r, n, thresh)
			mask, keep := make([]float32, n), make([]uint16, (n+15)/16)
			dropoutMaskReference(make([]float32, n), mask, dy, draws, thresh, scale)
			DropoutMask(make([]float32, n), dy, keep, draws, thresh, scale)
			dx := make([]float32, n)
			for i := range dx {
				dx[i] = float32(r.NormFloat64())
				switch i % 6 {
				case 1:
					dx[i] = float32(math.Copysign(0, -1)) // + (+0) gives +0
				case 3:
					// Two NaNs: the sum keeps dx's, as the Go loop does.
					dx[i], dy[i] = math.Float32frombits(0x7fc00123), math.Float32frombits(0x7fc00456)
				}
			}
			want := append([]float32(nil), dx...)
			for i := range want {
				want[i] += dy[i] * mask[i]
			}
			DropoutBackward(dx, dy, keep, scale)
			sameSliceBits(t, "dx", dx, want)
		}
		useDropoutVec = old
	}
}

func sameSliceBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, n %d: [%d] = %v (%#x), want %v (%#x)", what, len(want), i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// BenchmarkPCGFill compares 1024 draws through a *rand.Rand, as dropout
// drew them, with PCGFill.
func BenchmarkPCGFill(b *testing.B) {
	dst := make([]uint64, 1024)
	b.Run("rand.Rand", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		for b.Loop() {
			for i := range dst {
				dst[i] = r.Uint64()
			}
		}
	})
	b.Run("PCGFill", func(b *testing.B) {
		hi, lo := uint64(1), uint64(2)
		for b.Loop() {
			hi, lo = PCGFill(dst, hi, lo)
		}
	})
}
