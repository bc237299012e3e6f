package kernel

import "math"

// Adam's variants with their own step: Nadam's Nesterov momentum and
// Adamax's infinity norm. Their first moment is Adam's.

// Nadam applies one step of Nadam to w with moments m and v and gradient
// g (all of one length), the step's coefficients worked out by the caller
// from the momentum cache and the step number:
//
//	m += (g - m)*c1; v += (g*g - v)*c2
//	w -= (cm*m + cg*g)*lr / (sqrt(v*cv) + eps)
//
// with c1 = 1-β1 and c2 = 1-β2, m and v set to +0 first when under the
// smallest normal float32 in magnitude (FlushTiny, as Adam's). The
// square root is correctly rounded.
func Nadam(w, m, v, g []float32, c1, c2, cm, cg, lr, cv, eps float32) {
	checkLen("Nadam", len(w), len(m), len(v), len(g))
	if k := simdLen(len(w)); k > 0 {
		nadamVec(&w[0], &m[0], &v[0], &g[0], c1, c2, cm, cg, lr, cv, eps, smallestNormal, k)
		w, m, v, g = w[k:], m[k:], v[k:], g[k:]
	}
	nadamGeneric(w, m, v, g, c1, c2, cm, cg, lr, cv, eps)
}

func nadamGeneric(w, m, v, g []float32, c1, c2, cm, cg, lr, cv, eps float32) {
	m, v, g = m[:len(w)], v[:len(w)], g[:len(w)]
	for j := range w {
		m[j] = FlushTiny(m[j] + (g[j]-m[j])*c1)
		v[j] = FlushTiny(v[j] + (g[j]*g[j]-v[j])*c2)
		mhat := cm*m[j] + cg*g[j]
		w[j] -= mhat * lr / (float32(math.Sqrt(float64(v[j]*cv))) + eps)
	}
}

// Adamax applies one step of Adamax to w with moment m, infinity norm u
// and gradient g (all of one length), step being the bias-corrected rate
// lr/(1-β1^t):
//
//	m += (g - m)*c1; u = max(b2*u, |g|); w -= step*m / (u + eps)
//
// with c1 = 1-β1, m and u set to +0 first when under the smallest normal
// float32 in magnitude (FlushTiny). max is Go's: NaN if either is.
func Adamax(w, m, u, g []float32, c1, b2, step, eps float32) {
	checkLen("Adamax", len(w), len(m), len(u), len(g))
	if k := simdLen(len(w)); k > 0 {
		adamaxVec(&w[0], &m[0], &u[0], &g[0], c1, b2, step, eps, smallestNormal, k)
		w, m, u, g = w[k:], m[k:], u[k:], g[k:]
	}
	adamaxGeneric(w, m, u, g, c1, b2, step, eps)
}

func adamaxGeneric(w, m, u, g []float32, c1, b2, step, eps float32) {
	m, u, g = m[:len(w)], u[:len(w)], g[:len(w)]
	for j := range w {
		m[j] = FlushTiny(m[j] + (g[j]-m[j])*c1)
		u[j] = FlushTiny(max(b2*u[j], math.Float32frombits(math.Float32bits(g[j])&^(1<<31))))
		w[j] -= step * m[j] / (u[j] + eps)
	}
}

// AdamAMSGrad applies one step of Adam with AMSGrad to w with moments m
// and v, their running maximum vhat and gradient g (all of one length),
// alpha being the bias-corrected step size:
//
//	m += (g - m)*c1; v += (g*g - v)*c2; vhat = max(vhat, v)
//	w -= m*alpha / (sqrt(vhat) + eps)
//
// with c1 = 1-β1 and c2 = 1-β2. max is Go's: NaN if either is, +0 over
// -0. The square root is correctly rounded. Unlike Adam's, the states
// are not flushed (FlushTiny): the optimizer's AMSGrad loop never did,
// and its bits stay.
func AdamAMSGrad(w, m, v, vhat, g []float32, c1, c2, alpha, eps float32) {
	checkLen("AdamAMSGrad", len(w), len(m), len(v), len(vhat), len(g))
	if k := simdLen(len(w)); k > 0 {
		adamAMSGradVec(&w[0], &m[0], &v[0], &vhat[0], &g[0], c1, c2, alpha, eps, k)
		w, m, v, vhat, g = w[k:], m[k:], v[k:], vhat[k:], g[k:]
	}
	adamAMSGradGeneric(w, m, v, vhat, g, c1, c2, alpha, eps)
}

func adamAMSGradGeneric(w, m, v, vhat, g []float32, c1, c2, alpha, eps float32) {
	m, v, vhat, g = m[:len(w)], v[:len(w)], vhat[:len(w)], g[:len(w)]
	for j := range w {
		m[j] += (g[j] - m[j]) * c1
		v[j] += (g[j]*g[j] - v[j]) * c2
		vhat[j] = max(vhat[j], v[j])
		w[j] -= m[j] * alpha / (float32(math.Sqrt(float64(vhat[j]))) + eps)
	}
}
