package kernel

import "math"

// FtrlSqrt applies one step of Ftrl with learning-rate power -0.5 (Keras's
// default) to w with accumulator n, linear term z and gradient g (all of
// one length):
//
//	gs = g + shrink2*w; nn = n + g*g; pn = pow(nn, 0.5)
//	z += gs - (pn - pow(n, 0.5))/lr*w
//	w = (min(max(z, -l1), l1) - z) / (pn/lr + l2x2)
//	n = nn
//
// pow(x, 0.5) is float32(math.Pow(float64(x), 0.5)), min and max Go's
// (NaN if either is, -0 under +0); shrink2 is twice the shrinkage L2 and
// l2x2 twice the online L2 (beta included). The assembly takes
// math.Pow(x, 0.5) as the correctly rounded square root, which it is
// except at -0 (Pow: +0) and -Inf (Pow: +Inf, the root NaN), and neither
// reaches the result: nn is never -0 (g*g is not), nn is -Inf only when n
// is, and then pn - pow(n) is NaN either way (Inf - Inf), as are z and w;
// pow(n) of -0 only meets pn - pow(n), where pn is not -0, so either
// zero's sign gives the same difference; pow(n) of -Inf with a finite nn
// cannot be (nn is then -Inf or NaN). The conformance test holds it to
// the Go loop with those values. The assembly runs only for l1 >= +0
// (the clip's ties at zero then come out as Go's), the Go loop otherwise.
func FtrlSqrt(w, n, z, g []float32, lr, l1, l2x2, shrink2 float32) {
	checkLen("FtrlSqrt", len(w), len(n), len(z), len(g))
	if k := simdLen(len(w)); k > 0 && l1 >= 0 && !math.Signbit(float64(l1)) {
		ftrlSqrtVec(&w[0], &n[0], &z[0], &g[0], lr, -l1, l1, l2x2, shrink2, k)
		w, n, z, g = w[k:], n[k:], z[k:], g[k:]
	}
	ftrlSqrtGeneric(w, n, z, g, lr, l1, l2x2, shrink2)
}

func ftrlSqrtGeneric(w, n, z, g []float32, lr, l1, l2x2, shrink2 float32) {
	n, z, g = n[:len(w)], z[:len(w)], g[:len(w)]
	for j := range w {
		gs := g[j] + shrink2*w[j]
		nn := n[j] + g[j]*g[j]
		pn := float32(math.Pow(float64(nn), 0.5))
		z[j] += gs - (pn-float32(math.Pow(float64(n[j]), 0.5)))/lr*w[j]
		quad := pn/lr + l2x2
		w[j] = (min(max(z[j], -l1), l1) - z[j]) / quad
		n[j] = nn
	}
}
