package kernel

import "math"

// The optimizers' update rules, one pass over a variable each. Every value
// is rounded to float32 after each operation, in the order written, which
// is what the pure-Go loops do; the assembly equals them bit for bit.

// SGDMomentum applies one step of SGD with momentum to w, v and g (all of
// one length): v = v*mu - g*lr; w += v, v set to +0 first when under the
// smallest normal float32 in magnitude (FlushTiny, as Adam's moments).
func SGDMomentum(w, v, g []float32, mu, lr float32) {
	checkLen("SGDMomentum", len(w), len(v), len(g))
	if k := simdLen(len(w)); k > 0 {
		sgdMomentumVec(&w[0], &v[0], &g[0], mu, lr, smallestNormal, k)
		w, v, g = w[k:], v[k:], g[k:]
	}
	sgdMomentumGeneric(w, v, g, mu, lr)
}

func sgdMomentumGeneric(w, v, g []float32, mu, lr float32) {
	v, g = v[:len(w)], g[:len(w)]
	for j := range w {
		v[j] = FlushTiny(v[j]*mu - g[j]*lr)
		w[j] += v[j]
	}
}

// SGDNesterov applies one step of SGD with Nesterov momentum to w, v and g
// (all of one length): v = v*mu - g*lr; w += v*mu - g*lr, v set to +0
// first when under the smallest normal float32 in magnitude (FlushTiny).
func SGDNesterov(w, v, g []float32, mu, lr float32) {
	checkLen("SGDNesterov", len(w), len(v), len(g))
	if k := simdLen(len(w)); k > 0 {
		sgdNesterovVec(&w[0], &v[0], &g[0], mu, lr, smallestNormal, k)
		w, v, g = w[k:], v[k:], g[k:]
	}
	sgdNesterovGeneric(w, v, g, mu, lr)
}

func sgdNesterovGeneric(w, v, g []float32, mu, lr float32) {
	v, g = v[:len(w)], g[:len(w)]
	for j := range w {
		v[j] = FlushTiny(v[j]*mu - g[j]*lr)
		w[j] += v[j]*mu - g[j]*lr
	}
}

// Adam applies one step of Adam to w with moments m and v and gradient g
// (all of one length), alpha being the bias-corrected step size:
//
//	m += (g - m)*c1; v += (g*g - v)*c2; w -= m*alpha / (sqrt(v) + eps)
//
// with c1 = 1-β1 and c2 = 1-β2. The square root is correctly rounded.
//
// A moment under the smallest normal float32 in magnitude is set to +0
// (FlushTiny). A weight whose gradient stays zero (a unit ReLU never
// opens) has moments that shrink by β each step into the subnormals,
// where each x86 operation takes a microcode assist: Adam's share of
// LeNet-5's CPU profile was 6.0 %, 1.1 % with the flush (BENCH.md round 9,
// BenchmarkSubnormals). A subnormal m moves
// w by under 1e-34·alpha/eps, and sqrt of a subnormal v is below eps's
// rounding, so the weights keep their bits.
func Adam(w, m, v, g []float32, c1, c2, alpha, eps float32) {
	checkLen("Adam", len(w), len(m), len(v), len(g))
	if k := simdLen(len(w)); k > 0 {
		adamVec(&w[0], &m[0], &v[0], &g[0], c1, c2, alpha, eps, smallestNormal, k)
		w, m, v, g = w[k:], m[k:], v[k:], g[k:]
	}
	adamGeneric(w, m, v, g, c1, c2, alpha, eps)
}

func adamGeneric(w, m, v, g []float32, c1, c2, alpha, eps float32) {
	m, v, g = m[:len(w)], v[:len(w)], g[:len(w)]
	for j := range w {
		m[j] = FlushTiny(m[j] + (g[j]-m[j])*c1)
		v[j] = FlushTiny(v[j] + (g[j]*g[j]-v[j])*c2)
		w[j] -= m[j] * alpha / (float32(math.Sqrt(float64(v[j]))) + eps)
	}
}

// smallestNormal is the smallest normal float32, 2^-126.
const smallestNormal = 0x1p-126

// FlushTiny returns +0 for x under the smallest normal float32 in
// magnitude (x itself otherwise, NaN included): what an optimizer stores
// for a state that decays geometrically when its weight's gradient is
// zero, so that it never sits in the subnormals, where each x86 operation
// costs about fifty times a normal one.
func FlushTiny(x float32) float32 {
	if math.Float32bits(x)&0x7fffffff < 0x00800000 {
		return 0
	}
	return x
}

// RMSprop applies one step of RMSprop without momentum or centring to w
// with mean square v and gradient g (all of one length):
//
//	v = rho*v + c*(g*g); w -= lr*g / sqrt(v + eps)
//
// with c = 1-rho, v set to +0 first when under the smallest normal float32
// in magnitude (FlushTiny, as Adam's moments). The square root is
// correctly rounded.
func RMSprop(w, v, g []float32, rho, c, lr, eps float32) {
	checkLen("RMSprop", len(w), len(v), len(g))
	if k := simdLen(len(w)); k > 0 {
		rmspropVec(&w[0], &v[0], &g[0], rho, c, lr, eps, smallestNormal, k)
		w, v, g = w[k:], v[k:], g[k:]
	}
	rmspropGeneric(w, v, g, rho, c, lr, eps)
}

func rmspropGeneric(w, v, g []float32, rho, c, lr, eps float32) {
	v, g = v[:len(w)], g[:len(w)]
	for j := range w {
		v[j] = FlushTiny(rho*v[j] + c*(g[j]*g[j]))
		w[j] -= lr * g[j] / float32(math.Sqrt(float64(v[j]+eps)))
	}
}

// Adagrad applies one step of Adagrad to w with accumulator acc and
// gradient g (all of one length): acc += g*g; w -= lr*g / sqrt(acc + eps).
// The accumulator only grows, so it needs no flush.
func Adagrad(w, acc, g []float32, lr, eps float32) {
	checkLen("Adagrad", len(w), len(acc), len(g))
	if k := simdLen(len(w)); k > 0 {
		adagradVec(&w[0], &acc[0], &g[0], lr, eps, k)
		w, acc, g = w[k:], acc[k:], g[k:]
	}
	adagradGeneric(w, acc, g, lr, eps)
}

func adagradGeneric(w, acc, g []float32, lr, eps float32) {
	acc, g = acc[:len(w)], g[:len(w)]
	for j := range w {
		acc[j] += g[j] * g[j]
		w[j] -= lr * g[j] / float32(math.Sqrt(float64(acc[j]+eps)))
	}
}

// RMSpropFull applies one step of RMSprop, centred when avg is not nil,
// with momentum mu when mom is not nil (all non-nil slices of one length):
//
//	v = rho*v + c*(g*g)
//	centred: avg = rho*avg + c*g; d = v - avg*avg + eps; else d = v + eps
//	inc = lr*g / sqrt(d)
//	momentum: mom = mu*mom + inc; w -= mom; else w -= inc
//
// with c = 1-rho, each state set to +0 first when under the smallest
// normal float32 in magnitude (FlushTiny). With neither it is RMSprop.
func RMSpropFull(w, v, avg, mom, g []float32, rho, c, lr, eps, mu float32) {
	if avg == nil && mom == nil {
		RMSprop(w, v, g, rho, c, lr, eps)
		return
	}
	checkLen("RMSprop", len(w), len(v), len(g))
	if avg != nil {
		checkLen("RMSprop", len(w), len(avg))
	}
	if mom != nil {
		checkLen("RMSprop", len(w), len(mom))
	}
	if k := simdLen(len(w)); k > 0 {
		switch {
		case mom == nil:
			rmspropCenteredVec(&w[0], &v[0], &avg[0], &g[0], rho, c, lr, eps, smallestNormal, k)
			avg = avg[k:]
		case avg == nil:
			rmspropMomentumVec(&w[0], &v[0], &mom[0], &g[0], rho, c, lr, eps, mu, smallestNormal, k)
			mom = mom[k:]
		default:
			rmspropCenteredMomentumVec(&w[0], &v[0], &avg[0], &mom[0], &g[0], rho, c, lr, eps, mu, smallestNormal, k)
			avg, mom = avg[k:], mom[k:]
		}
		w, v, g = w[k:], v[k:], g[k:]
	}
	rmspropFullGeneric(w, v, avg, mom, g, rho, c, lr, eps, mu)
}

func rmspropFullGeneric(w, v, avg, mom, g []float32, rho, c, lr, eps, mu float32) {
	v, g = v[:len(w)], g[:len(w)]
	for j := range w {
		v[j] = FlushTiny(rho*v[j] + c*(g[j]*g[j]))
		var d float32
		if avg != nil {
			avg[j] = FlushTiny(rho*avg[j] + c*g[j])
			d = v[j] - avg[j]*avg[j] + eps
		} else {
			d = v[j] + eps
		}
		inc := lr * g[j] / float32(math.Sqrt(float64(d)))
		if mom != nil {
			mom[j] = FlushTiny(mu*mom[j] + inc)
			w[j] -= mom[j]
		} else {
			w[j] -= inc
		}
	}
}

// Adadelta applies one step of Adadelta to w with accumulated squares of
// gradients acc and of steps del, and gradient g (all of one length), ε
// inside the square roots as Keras has it:
//
//	acc = rho*acc + c*(g*g)
//	Δ = -(sqrt(del + eps)*g) / sqrt(acc + eps)
//	del = rho*del + c*(Δ*Δ)
//	w += lr*Δ
//
// with c = 1-rho, both states set to +0 first when under the smallest
// normal float32 in magnitude (FlushTiny). The square roots are correctly
// rounded.
func Adadelta(w, acc, del, g []float32, rho, c, eps, lr float32) {
	checkLen("Adadelta", len(w), len(acc), len(del), len(g))
	if k := simdLen(len(w)); k > 0 {
		adadeltaVec(&w[0], &acc[0], &del[0], &g[0], rho, c, eps, lr, smallestNormal, k)
		w, acc, del, g = w[k:], acc[k:], del[k:], g[k:]
	}
	adadeltaGeneric(w, acc, del, g, rho, c, eps, lr)
}

func adadeltaGeneric(w, acc, del, g []float32, rho, c, eps, lr float32) {
	acc, del, g = acc[:len(w)], del[:len(w)], g[:len(w)]
	for j := range w {
		acc[j] = FlushTiny(rho*acc[j] + c*(g[j]*g[j]))
		d := -(float32(math.Sqrt(float64(del[j]+eps))) * g[j]) / float32(math.Sqrt(float64(acc[j]+eps)))
		del[j] = FlushTiny(rho*del[j] + c*(d*d))
		w[j] += lr * d
	}
}

// Lion applies one step of Lion to w with momentum m and gradient g (all
// of one length):
//
//	u = m*b1 + g*(1-b1); w -= lr where u > 0, w += lr where u < 0
//	m = m*b2 + g*(1-b2)
//
// w stays as it is where u is ±0 and becomes NaN where u is NaN, as
// Keras's w - lr·sign(u) does: left alone, a weight whose gradient went NaN
// would stop moving unseen (its m stays NaN). m is not flushed: Keras's
// Lion keeps it as it comes, and so did this package's loop before it.
func Lion(w, m, g []float32, lr, b1, b2 float32) {
	checkLen("Lion", len(w), len(m), len(g))
	if k := simdLen(len(w)); k > 0 {
		lionVec(&w[0], &m[0], &g[0], lr, -lr, b1, 1-b1, b2, 1-b2, k)
		w, m, g = w[k:], m[k:], g[k:]
	}
	lionGeneric(w, m, g, lr, b1, b2)
}

func lionGeneric(w, m, g []float32, lr, b1, b2 float32) {
	m, g = m[:len(w)], g[:len(w)]
	for j := range w {
		switch u := m[j]*b1 + g[j]*(1-b1); {
		case u > 0:
			w[j] -= lr
		case u < 0:
			w[j] += lr
		case u != u:
			w[j] = u
		}
		m[j] = m[j]*b2 + g[j]*(1-b2)
	}
}
