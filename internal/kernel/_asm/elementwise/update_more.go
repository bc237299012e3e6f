package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// updatesMore emits Adam with AMSGrad and Ftrl at power -0.5 (package
// kernel's update_adam.go and update_ftrl.go), each the Go reference
// loop's operations in its order.
func updatesMore() {
	// Go's max(x, y) is y if y is NaN, else x if x is, else the larger,
	// +0 over -0 (the AND of two zeros' bits). VMAXPS returns its first
	// operand here on NaN and ties, so the two orders' AND is Go's max
	// off NaN (equal values have equal bits but for the zeros); where
	// either is NaN, v + vhat gives v's NaN if v is one, else vhat's.
	kernel("adamAMSGradVec", "func(w *float32, m *float32, v *float32, vhat *float32, grad *float32, c1 float32, c2 float32, alpha float32, eps float32, n int)",
		[]string{
			"m[i] += (grad[i] - m[i]) * c1",
			"v[i] += (grad[i]*grad[i] - v[i]) * c2",
			"vhat[i] = max(vhat[i], v[i]) (NaN if either is, +0 over -0)",
			"w[i] -= m[i] * alpha / (sqrt(vhat[i]) + eps)",
			"each operation rounded to float32 in this order (sqrt correctly rounded)",
		},
		[]string{"w", "m", "v", "vhat", "grad"}, []string{"c1", "c2", "alpha", "eps"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			g := YMM()
			VMOVUPS(Mem{Base: p[4], Disp: off}, g)
			mm := firstMoment(Mem{Base: p[1], Disp: off}, g, s[0], nil)
			vv := secondMoment(Mem{Base: p[2], Disp: off}, g, s[1], nil)
			vh, a, b := YMM(), YMM(), YMM()
			VMOVUPS(Mem{Base: p[3], Disp: off}, vh)
			VMAXPS(vh, vv, a) // v > vhat ? v : vhat
			VMAXPS(vv, vh, b) // vhat > v ? vhat : v
			VANDPS(b, a, a)
			VCMPPS(U8(3), vh, vv, b) // UNORD_Q: either is NaN
			VADDPS(vh, vv, vh)       // v + vhat: v's NaN first
			VBLENDVPS(b, vh, a, a)
			VMOVUPS(a, Mem{Base: p[3], Disp: off})
			VSQRTPS(a, a)
			VADDPS(s[3], a, a)
			VMULPS(s[2], mm, mm)
			VDIVPS(a, mm, mm)
			subFrom(Mem{Base: p[0], Disp: off}, mm)
		})
	// pow(x, 0.5) is the square root in every lane that reaches the
	// result (kernel.FtrlSqrt). With negl1 = -l1 <= -0 and l1 >= +0,
	// VMAXPS(z, negl1) and VMINPS(., l1) return z (the first operand) on
	// NaN and on ties, which at ±0 is Go's max(z, -0) and min(z, +0).
	kernel("ftrlSqrtVec", "func(w *float32, acc *float32, z *float32, grad *float32, lr float32, negl1 float32, l1 float32, l2x2 float32, shrink2 float32, n int)",
		[]string{
			"gs = grad[i] + shrink2*w[i]; nn = acc[i] + grad[i]*grad[i]; pn = sqrt(nn)",
			"z[i] += gs - (pn - sqrt(acc[i]))/lr*w[i]",
			"w[i] = (min(max(z[i], negl1), l1) - z[i]) / (pn/lr + l2x2); acc[i] = nn",
			"each operation rounded to float32 in this order (sqrt correctly rounded);",
			"negl1 is -l1, l1 >= +0",
		},
		[]string{"w", "acc", "z", "grad"}, []string{"lr", "negl1", "l1", "l2x2", "shrink2"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			wm, am, zm := Mem{Base: p[0], Disp: off}, Mem{Base: p[1], Disp: off}, Mem{Base: p[2], Disp: off}
			lr, negl1, l1, l2x2, shrink2 := s[0], s[1], s[2], s[3], s[4]
			g, w, gs, po, pn, z := YMM(), YMM(), YMM(), YMM(), YMM(), YMM()
			VMOVUPS(Mem{Base: p[3], Disp: off}, g)
			VMOVUPS(wm, w)
			VMULPS(w, shrink2, gs)
			VADDPS(gs, g, gs) // grad + shrink2*w
			VMOVUPS(am, po)
			VMULPS(g, g, pn)
			VADDPS(pn, po, pn) // acc + grad*grad
			VMOVUPS(pn, am)
			VSQRTPS(po, po)
			VSQRTPS(pn, pn)
			VSUBPS(po, pn, po) // pn - sqrt(acc)
			VDIVPS(lr, po, po)
			VMULPS(w, po, po)
			VSUBPS(po, gs, gs)
			VMOVUPS(zm, z)
			VADDPS(gs, z, z)
			VMOVUPS(z, zm)
			VDIVPS(lr, pn, pn)
			VADDPS(l2x2, pn, pn)
			VMAXPS(z, negl1, w) // negl1 > z ? negl1 : z
			VMINPS(w, l1, w)    // l1 < w ? l1 : w
			VSUBPS(z, w, w)
			VDIVPS(pn, w, w)
			VMOVUPS(w, wm)
		})
}
