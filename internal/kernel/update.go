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
