package kernel

import (
	"math"
	"testing"
)

// TestAdamFlushesSubnormalMoments: moments that would become subnormal
// come out +0 on every implementation, the weight moving as the unflushed
// formula (in float64) rounds it, and moments just above the smallest
// normal stay. A weight whose gradient stays zero keeps decaying its
// moments: after enough steps they are +0, not subnormal.
func TestAdamFlushesSubnormalMoments(t *testing.T) {
	const c1, c2, alpha, eps = 0.1, 0.001, 1e-3, 1e-7
	const n = 19 // the vector loop and the pure-Go tail
	for _, simd := range elementwiseImpls() {
		w, m, v, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range w {
			w[i], m[i], v[i] = 0.5, 1e-39, 1e-40 // g = 0: both decay
		}
		m[3], v[3] = -2e-38, 2e-38 // ×(1-c) stays normal: kept
		withSIMD(simd, func() { Adam(w, m, v, g, c1, c2, alpha, eps) })
		for i := range w {
			wantM, wantV := float32(0), float32(0)
			if i == 3 { // each operation rounded, as Adam's contract says
				m0, v0, c1, c2 := float32(-2e-38), float32(2e-38), float32(c1), float32(c2)
				wantM, wantV = m0+(0-m0)*c1, v0+(0-v0)*c2
			}
			if math.Float32bits(m[i]) != math.Float32bits(wantM) || math.Float32bits(v[i]) != math.Float32bits(wantV) {
				t.Fatalf("%s: m[%d], v[%d] = %g, %g, want %g, %g", implName(simd), i, i, m[i], v[i], wantM, wantV)
			}
			mm, vv := 1e-39*(1-c1), 1e-40*(1-c2)
			if i == 3 {
				mm, vv = float64(wantM), float64(wantV)
			}
			if want := float32(0.5 - mm*alpha/(math.Sqrt(vv)+eps)); w[i] != want {
				t.Fatalf("%s: w[%d] = %v, want %v", implName(simd), i, w[i], want)
			}
		}
		m[0], v[0], g[0] = 1, 1, 0
		for range 2000 {
			withSIMD(simd, func() { Adam(w, m, v, g, c1, c2, alpha, eps) })
		}
		if m[0] != 0 || math.Float32bits(v[0])&0x7f800000 == 0 && v[0] != 0 {
			t.Errorf("%s: after 2000 steps of zero gradient m, v = %g, %g, want 0 and a normal v or 0", implName(simd), m[0], v[0])
		}
	}
}

// TestSGDMomentumFlushesSubnormalVelocity: SGD's velocity, with and
// without Nesterov, comes out +0 where it would be subnormal, on every
// implementation, the weight moving by what the unflushed velocity would
// give once rounded (nothing), a velocity just above the smallest normal
// kept.
func TestSGDMomentumFlushesSubnormalVelocity(t *testing.T) {
	const mu, lr = 0.9, 0.01
	const n = 19
	for _, nesterov := range []bool{false, true} {
		for _, simd := range elementwiseImpls() {
			w, v, g := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range w {
				w[i], v[i] = 0.25, -1e-39 // g = 0: v decays
			}
			v[5] = 4e-38 // ×mu stays normal: kept
			withSIMD(simd, func() {
				if nesterov {
					SGDNesterov(w, v, g, mu, lr)
				} else {
					SGDMomentum(w, v, g, mu, lr)
				}
			})
			for i := range w {
				wantV := float32(0)
				if i == 5 {
					v0, mu := float32(4e-38), float32(mu)
					wantV = v0*mu - 0*lr
				}
				if math.Float32bits(v[i]) != math.Float32bits(wantV) {
					t.Fatalf("nesterov %v, %s: v[%d] = %g, want %g", nesterov, implName(simd), i, v[i], wantV)
				}
				if i != 5 && w[i] != 0.25 {
					t.Fatalf("nesterov %v, %s: w[%d] = %v, want 0.25", nesterov, implName(simd), i, w[i])
				}
			}
		}
	}
}

// BenchmarkSubnormals times Adam over LeNet-5's 61,706 weights with
// normal moments and with a quarter of them subnormal and their gradients
// zero (the first step flushes them), and, for the cost the flush avoids,
// Scale by 1 over such values: on x86 an operation on a subnormal takes a
// microcode assist.
func BenchmarkSubnormals(b *testing.B) {
	const n = 61706
	for _, sub := range []bool{false, true} {
		w, m, v, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		name := map[bool]string{false: "normal", true: "quarter-subnormal"}[sub]
		set := func() {
			for i := range w {
				w[i], g[i], m[i], v[i] = 0.1, 0.001, 0.001, 1e-6
				if sub && i%4 == 0 {
					g[i], m[i], v[i] = 0, 1e-39, 1e-40
				}
			}
		}
		set()
		b.Run("Adam/"+name, func(b *testing.B) {
			// Steps after the first: what training sees once the zero
			// gradients' moments are small (here +0; before the flush,
			// subnormals that shrank by β each step).
			for b.Loop() {
				Adam(w, m, v, g, 0.1, 0.001, 0.001, 1e-7)
			}
		})
		set()
		b.Run("Scale/"+name, func(b *testing.B) {
			for b.Loop() {
				Scale(m, 1)
			}
		})
	}
}
