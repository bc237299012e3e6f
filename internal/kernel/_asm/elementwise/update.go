package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// updates emits the optimizers' steps (package kernel's update*.go), each
// the Go reference loop's operations in its order, so the same bits.
func updates() {
	kernel("sgdMomentumVec", "func(w *float32, v *float32, grad *float32, mu float32, lr float32, tiny float32, n int)",
		[]string{"v[i] = v[i]*mu - grad[i]*lr; w[i] += v[i]", "v[i] set to +0 before its use and store when |v[i]| < tiny (0x1p-126)"},
		[]string{"w", "v", "grad"}, []string{"mu", "lr", "tiny"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			vv, _ := sgdVelocity(p, s, off)
			VADDPS(Mem{Base: p[0], Disp: off}, vv, vv)
			VMOVUPS(vv, Mem{Base: p[0], Disp: off})
		})
	kernel("sgdNesterovVec", "func(w *float32, v *float32, grad *float32, mu float32, lr float32, tiny float32, n int)",
		[]string{"v[i] = v[i]*mu - grad[i]*lr; w[i] += v[i]*mu - grad[i]*lr", "v[i] set to +0 before its use and store when |v[i]| < tiny (0x1p-126)"},
		[]string{"w", "v", "grad"}, []string{"mu", "lr", "tiny"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			vv, gl := sgdVelocity(p, s, off)
			VMULPS(vv, s[0], vv)
			VSUBPS(gl, vv, vv)
			VADDPS(Mem{Base: p[0], Disp: off}, vv, vv)
			VMOVUPS(vv, Mem{Base: p[0], Disp: off})
		})
	kernel("adamVec", "func(w *float32, m *float32, v *float32, grad *float32, c1 float32, c2 float32, alpha float32, eps float32, tiny float32, n int)",
		[]string{
			"m[i] += (grad[i] - m[i]) * c1, then +0 if |m[i]| < tiny",
			"v[i] += (grad[i]*grad[i] - v[i]) * c2, then +0 if |v[i]| < tiny",
			"w[i] -= m[i] * alpha / (sqrt(v[i]) + eps)",
			"each operation rounded to float32 in this order (sqrt correctly rounded);",
			"tiny is the smallest normal float32, 0x1p-126",
		},
		[]string{"w", "m", "v", "grad"}, []string{"c1", "c2", "alpha", "eps", "tiny"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			g := YMM()
			VMOVUPS(Mem{Base: p[3], Disp: off}, g)
			mm := firstMoment(Mem{Base: p[1], Disp: off}, g, s[0], s[4])
			vv := secondMoment(Mem{Base: p[2], Disp: off}, g, s[1], s[4])
			VSQRTPS(vv, vv)
			VADDPS(s[3], vv, vv)
			VMULPS(s[2], mm, mm)
			VDIVPS(vv, mm, mm)
			subFrom(Mem{Base: p[0], Disp: off}, mm)
		})
	kernel("rmspropVec", "func(w *float32, v *float32, grad *float32, rho float32, c float32, lr float32, eps float32, tiny float32, n int)",
		[]string{
			"v[i] = rho*v[i] + c*(grad[i]*grad[i]), then +0 if |v[i]| < tiny",
			"w[i] -= lr*grad[i] / sqrt(v[i] + eps)",
			"each operation rounded to float32 in this order (sqrt correctly rounded);",
			"tiny is the smallest normal float32, 0x1p-126",
		},
		[]string{"w", "v", "grad"}, []string{"rho", "c", "lr", "eps", "tiny"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			g := YMM()
			VMOVUPS(Mem{Base: p[2], Disp: off}, g)
			vv := meanSquare(Mem{Base: p[1], Disp: off}, Mem{Base: p[1], Disp: off}, g, s[0], s[1], s[4])
			sqrtStep(Mem{Base: p[0], Disp: off}, g, vv, s[2], s[3])
		})
	kernel("adagradVec", "func(w *float32, acc *float32, grad *float32, lr float32, eps float32, n int)",
		[]string{
			"acc[i] += grad[i]*grad[i]",
			"w[i] -= lr*grad[i] / sqrt(acc[i] + eps)",
			"each operation rounded to float32 in this order (sqrt correctly rounded)",
		},
		[]string{"w", "acc", "grad"}, []string{"lr", "eps"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			g, a, t := YMM(), YMM(), YMM()
			VMOVUPS(Mem{Base: p[2], Disp: off}, g)
			VMULPS(g, g, t)
			VMOVUPS(Mem{Base: p[1], Disp: off}, a)
			VADDPS(t, a, a)
			VMOVUPS(a, Mem{Base: p[1], Disp: off})
			sqrtStep(Mem{Base: p[0], Disp: off}, g, a, s[0], s[1])
		})
	kernel("nadamVec", "func(w *float32, m *float32, v *float32, grad *float32, c1 float32, c2 float32, cm float32, cg float32, lr float32, cv float32, eps float32, tiny float32, n int)",
		[]string{
			"m[i] += (grad[i] - m[i]) * c1, then +0 if |m[i]| < tiny",
			"v[i] += (grad[i]*grad[i] - v[i]) * c2, then +0 if |v[i]| < tiny",
			"w[i] -= (cm*m[i] + cg*grad[i]) * lr / (sqrt(v[i]*cv) + eps)",
			"each operation rounded to float32 in this order (sqrt correctly rounded);",
			"tiny is the smallest normal float32, 0x1p-126",
		},
		[]string{"w", "m", "v", "grad"}, []string{"c1", "c2", "cm", "cg", "lr", "cv", "eps", "tiny"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			g := YMM()
			VMOVUPS(Mem{Base: p[3], Disp: off}, g)
			mm := firstMoment(Mem{Base: p[1], Disp: off}, g, s[0], s[7])
			vv := secondMoment(Mem{Base: p[2], Disp: off}, g, s[1], s[7])
			VMULPS(s[2], mm, mm)
			VMULPS(s[3], g, g)
			VADDPS(g, mm, mm)
			VMULPS(s[4], mm, mm)
			VMULPS(s[5], vv, vv)
			VSQRTPS(vv, vv)
			VADDPS(s[6], vv, vv)
			VDIVPS(vv, mm, mm)
			subFrom(Mem{Base: p[0], Disp: off}, mm)
		})
	// Go's max(x, y) is NaN when either is; VMAXPS returns its second
	// source (y here, |grad|) when either is NaN, so x's NaN is blended
	// back in. On ±0 VMAXPS returns y too, which is +0, as Go's max gives
	// for max(-0, +0): |grad| has no sign.
	kernel("adamaxVec", "func(w *float32, m *float32, u *float32, grad *float32, c1 float32, b2 float32, step float32, eps float32, tiny float32, n int)",
		[]string{
			"m[i] += (grad[i] - m[i]) * c1, then +0 if |m[i]| < tiny",
			"u[i] = max(b2*u[i], |grad[i]|) (NaN if either is), then +0 if |u[i]| < tiny",
			"w[i] -= step * m[i] / (u[i] + eps)",
			"each operation rounded to float32 in this order;",
			"tiny is the smallest normal float32, 0x1p-126",
		},
		[]string{"w", "m", "u", "grad"}, []string{"c1", "b2", "step", "eps", "tiny"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			g := YMM()
			VMOVUPS(Mem{Base: p[3], Disp: off}, g)
			mm := firstMoment(Mem{Base: p[1], Disp: off}, g, s[0], s[4])
			VPSLLD(U8(1), g, g) // |grad|: the sign bit shifted out
			VPSRLD(U8(1), g, g)
			x, nan := YMM(), YMM()
			VMULPS(Mem{Base: p[2], Disp: off}, s[1], x)
			VCMPPS(U8(3), x, x, nan) // UNORD_Q: x is NaN
			VMAXPS(g, x, g)          // x > |grad| ? x : |grad|
			VBLENDVPS(nan, x, g, g)
			flushTiny(g, s[4])
			VMOVUPS(g, Mem{Base: p[2], Disp: off})
			VMULPS(s[2], mm, mm)
			VADDPS(s[3], g, g)
			VDIVPS(g, mm, mm)
			subFrom(Mem{Base: p[0], Disp: off}, mm)
		})
	// Lion moves w by lr against the sign of u, not at all where u is ±0,
	// and makes it NaN where u is NaN. w - (-lr) is w + lr bit for bit
	// (IEEE defines subtraction so), w - (+0) is w, -0 included, and w - x
	// is NaN for x all ones, so one subtraction of a signed lr, zeroed
	// where u is zero or NaN and then all ones where u is NaN, does the
	// reference's four cases.
	kernel("lionVec", "func(w *float32, m *float32, grad *float32, lr float32, neglr float32, b1 float32, c1 float32, b2 float32, c2 float32, n int)",
		[]string{
			"u = m[i]*b1 + grad[i]*c1; w[i] -= lr where u > 0, w[i] += lr where u < 0, w[i] = NaN where u is NaN",
			"m[i] = m[i]*b2 + grad[i]*c2",
			"each operation rounded to float32 in this order; neglr is -lr",
		},
		[]string{"w", "m", "grad"}, []string{"lr", "neglr", "b1", "c1", "b2", "c2"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			mm, g, u, t, nan := YMM(), YMM(), YMM(), YMM(), YMM()
			VMOVUPS(Mem{Base: p[1], Disp: off}, mm)
			VMOVUPS(Mem{Base: p[2], Disp: off}, g)
			VMULPS(s[2], mm, u)
			VMULPS(s[3], g, t)
			VADDPS(t, u, u)
			VCMPPS(U8(0x0c), s[len(s)-1], u, t) // NEQ_OQ: u ≠ 0, false for NaN
			VCMPPS(U8(3), u, u, nan)            // UNORD_Q: u is NaN
			VBLENDVPS(u, s[1], s[0], u)         // -lr where u's sign is set
			VANDPS(t, u, u)
			VORPS(nan, u, u)
			subFrom(Mem{Base: p[0], Disp: off}, u)
			VMULPS(s[4], mm, mm)
			VMULPS(s[5], g, g)
			VADDPS(g, mm, mm)
			VMOVUPS(mm, Mem{Base: p[1], Disp: off})
		}, zeroConst)
	// The reference's Δ = -(sqrt(d+eps)*g)/sqrt(a+eps) and w += lr*Δ are
	// q = sqrt(d+eps)*g/sqrt(a+eps) and w -= lr*q bit for bit: negation is
	// exact, rounding to nearest is symmetric in sign, and x + (-y) is
	// x - y; Δ*Δ is q*q.
	kernel("adadeltaVec", "func(w *float32, acc *float32, del *float32, grad *float32, rho float32, c float32, eps float32, lr float32, tiny float32, n int)",
		[]string{
			"acc[i] = rho*acc[i] + c*(grad[i]*grad[i]), then +0 if |acc[i]| < tiny",
			"q = sqrt(del[i] + eps)*grad[i] / sqrt(acc[i] + eps)",
			"del[i] = rho*del[i] + c*(q*q), then +0 if |del[i]| < tiny",
			"w[i] -= lr*q",
			"each operation rounded to float32 in this order (sqrt correctly rounded);",
			"tiny is the smallest normal float32, 0x1p-126",
		},
		[]string{"w", "acc", "del", "grad"}, []string{"rho", "c", "eps", "lr", "tiny"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			g, d, q := YMM(), YMM(), YMM()
			VMOVUPS(Mem{Base: p[3], Disp: off}, g)
			a := meanSquare(Mem{Base: p[1], Disp: off}, Mem{Base: p[1], Disp: off}, g, s[0], s[1], s[4])
			VADDPS(s[2], a, a)
			VSQRTPS(a, a)
			VMOVUPS(Mem{Base: p[2], Disp: off}, d)
			VADDPS(s[2], d, q)
			VSQRTPS(q, q)
			VMULPS(g, q, q)
			VDIVPS(a, q, q)
			meanSquare(Mem{Base: p[2], Disp: off}, d, q, s[0], s[1], s[4])
			VMULPS(s[3], q, q)
			subFrom(Mem{Base: p[0], Disp: off}, q)
		})
	rmspropMore(true, false)
	rmspropMore(false, true)
	rmspropMore(true, true)
	updatesMore()
}

// rmspropMore emits RMSprop centred, with momentum or both (rmspropVec is
// neither): rmspropCenteredVec, rmspropMomentumVec and
// rmspropCenteredMomentumVec, whose pointers are w, v, then avg if
// centred, mom if momentum, then grad.
func rmspropMore(centered, momentum bool) {
	name, ptrs, scalars := "rmsprop", []string{"w", "v"}, []string{"rho", "c", "lr", "eps"}
	sig := "func(w *float32, v *float32, "
	doc := []string{"v[i] = rho*v[i] + c*(grad[i]*grad[i]), then +0 if |v[i]| < tiny"}
	if centered {
		name += "Centered"
		ptrs = append(ptrs, "avg")
		sig += "avg *float32, "
		doc = append(doc, "avg[i] = rho*avg[i] + c*grad[i], then +0 if |avg[i]| < tiny",
			"inc = lr*grad[i] / sqrt(v[i] - avg[i]*avg[i] + eps)")
	} else {
		doc = append(doc, "inc = lr*grad[i] / sqrt(v[i] + eps)")
	}
	if momentum {
		name += "Momentum"
		ptrs = append(ptrs, "mom")
		sig += "mom *float32, "
		scalars = append(scalars, "mu")
		doc = append(doc, "mom[i] = mu*mom[i] + inc, then +0 if |mom[i]| < tiny; w[i] -= mom[i]")
	}
	name += "Vec"
	ptrs = append(ptrs, "grad")
	scalars = append(scalars, "tiny")
	sig += "grad *float32, rho float32, c float32, lr float32, eps float32, "
	if momentum {
		sig += "mu float32, "
	}
	sig += "tiny float32, n int)"
	doc = append(doc, "each operation rounded to float32 in this order (sqrt correctly rounded);",
		"tiny is the smallest normal float32, 0x1p-126")
	kernel(name, sig, doc, ptrs, scalars, func(p []GPVirtual, s []VecVirtual, off int) {
		w, v, gp := Mem{Base: p[0], Disp: off}, Mem{Base: p[1], Disp: off}, Mem{Base: p[len(p)-1], Disp: off}
		rho, c, lr, eps, tiny := s[0], s[1], s[2], s[3], s[len(s)-1]
		g := YMM()
		VMOVUPS(gp, g)
		d := meanSquare(v, v, g, rho, c, tiny)
		if centered {
			am, a, t := Mem{Base: p[2], Disp: off}, YMM(), YMM()
			VMULPS(am, rho, a)
			VMULPS(c, g, t)
			VADDPS(t, a, a)
			flushTiny(a, tiny)
			VMOVUPS(a, am)
			VMULPS(a, a, a)
			VSUBPS(a, d, d)
		}
		VADDPS(eps, d, d)
		VSQRTPS(d, d)
		VMULPS(lr, g, g)
		VDIVPS(d, g, g)
		if momentum {
			mm, mo := Mem{Base: p[len(p)-2], Disp: off}, YMM()
			VMULPS(mm, s[4], mo)
			VADDPS(g, mo, mo)
			flushTiny(mo, tiny)
			VMOVUPS(mo, mm)
			g = mo
		}
		subFrom(w, g)
	})
}

// sgdVelocity emits the velocity step that SGD with momentum and with
// Nesterov momentum share, on the 8 values at byte offset off of v (p[1])
// and grad (p[2]), mu, lr and tiny in s: v = v*mu - grad*lr, flushed
// (flushTiny) and stored. It returns v and grad*lr in registers, which
// Nesterov's step on w takes again.
func sgdVelocity(p []GPVirtual, s []VecVirtual, off int) (vv, gl VecVirtual) {
	vv, gl = YMM(), YMM()
	VMULPS(Mem{Base: p[1], Disp: off}, s[0], vv)
	VMULPS(Mem{Base: p[2], Disp: off}, s[1], gl)
	VSUBPS(gl, vv, vv)
	flushTiny(vv, s[2])
	VMOVUPS(vv, Mem{Base: p[1], Disp: off})
	return vv, gl
}

// sqrtStep emits w -= lr*g / sqrt(d + eps), RMSprop's and Adagrad's step
// from their mean square d (g and d are clobbered).
func sqrtStep(w Mem, g, d, lr, eps VecVirtual) {
	VADDPS(eps, d, d)
	VSQRTPS(d, d)
	VMULPS(lr, g, g)
	VDIVPS(d, g, g)
	subFrom(w, g)
}

// subFrom emits w -= x.
func subFrom(w Mem, x VecVirtual) {
	t := YMM()
	VMOVUPS(w, t)
	VSUBPS(x, t, t)
	VMOVUPS(t, w)
}

// firstMoment emits Adam's, Nadam's and Adamax's m += (g - m)*c1, flushed
// (flushTiny) unless tiny is nil and stored at m; it returns the new m in
// a register.
func firstMoment(m Mem, g, c1, tiny VecVirtual) VecVirtual {
	mm, t := YMM(), YMM()
	VMOVUPS(m, mm)
	VSUBPS(mm, g, t)
	VMULPS(c1, t, t)
	VADDPS(t, mm, mm)
	if tiny != nil {
		flushTiny(mm, tiny)
	}
	VMOVUPS(mm, m)
	return mm
}

// secondMoment emits Adam's and Nadam's v += (g*g - v)*c2, flushed
// unless tiny is nil and stored at v; it returns the new v in a register.
func secondMoment(v Mem, g, c2, tiny VecVirtual) VecVirtual {
	vv, t := YMM(), YMM()
	VMOVUPS(v, vv)
	VMULPS(g, g, t)
	VSUBPS(vv, t, t)
	VMULPS(c2, t, t)
	VADDPS(t, vv, vv)
	if tiny != nil {
		flushTiny(vv, tiny)
	}
	VMOVUPS(vv, v)
	return vv
}

// meanSquare emits RMSprop's and Adadelta's rho*old + c*(x*x), flushed and
// stored at dst; it returns the new value in a register. old is dst
// itself or the value already loaded from it.
func meanSquare(dst Mem, old Op, x, rho, c, tiny VecVirtual) VecVirtual {
	a, t := YMM(), YMM()
	VMULPS(old, rho, a)
	VMULPS(x, x, t)
	VMULPS(c, t, t)
	VADDPS(t, a, a)
	flushTiny(a, tiny)
	VMOVUPS(a, dst)
	return a
}

// flushTiny sets to +0 the lanes of x whose magnitude is under tiny's
// (the smallest normal float32, broadcast): the integer compare of the
// bits without their sign, so that NaN (above any finite value) stays.
// The optimizers' moments and velocities of a weight whose gradient is
// zero decay geometrically into the subnormals, where each operation on
// them takes an x86 core a microcode assist (Adam's steps over 61,706
// values, a quarter of them subnormal: 1.10 ms → 21.8 µs on the Xeon,
// BenchmarkSubnormals).
func flushTiny(x, tiny VecVirtual) {
	t := YMM()
	VPSLLD(U8(1), x, t)
	VPSRLD(U8(1), t, t)
	VPCMPGTD(t, tiny, t) // tiny > |x|
	VPANDN(x, t, x)
}
