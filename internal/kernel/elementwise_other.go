//go:build !amd64 || purego

package kernel

// Without the assembly, useSIMD stays false and these are never called; they
// exist so that the dispatching code compiles on every architecture.

func addVec(dst, a, b *float32, n int)                                     { panic("kernel: no SIMD") }
func mulVec(dst, a, b *float32, n int)                                     { panic("kernel: no SIMD") }
func axpyVec(dst *float32, alpha float32, x *float32, n int)               { panic("kernel: no SIMD") }
func scaleVec(dst *float32, alpha float32, n int)                          { panic("kernel: no SIMD") }
func reluVec(dst, x *float32, n int)                                       { panic("kernel: no SIMD") }
func reluBackwardVec(dx, dy, y *float32, n int)                            { panic("kernel: no SIMD") }
func sgdMomentumVec(w, v, g *float32, mu, lr, tiny float32, n int)         { panic("kernel: no SIMD") }
func sgdNesterovVec(w, v, g *float32, mu, lr, tiny float32, n int)         { panic("kernel: no SIMD") }
func adamVec(w, m, v, g *float32, c1, c2, alpha, eps, tiny float32, n int) { panic("kernel: no SIMD") }
func rmspropVec(w, v, g *float32, rho, c, lr, eps, tiny float32, n int)    { panic("kernel: no SIMD") }
func adagradVec(w, acc, g *float32, lr, eps float32, n int)                { panic("kernel: no SIMD") }
func nadamVec(w, m, v, g *float32, c1, c2, cm, cg, lr, cv, eps, tiny float32, n int) {
	panic("kernel: no SIMD")
}
func adamAMSGradVec(w, m, v, vhat, g *float32, c1, c2, alpha, eps float32, n int) {
	panic("kernel: no SIMD")
}
func ftrlSqrtVec(w, acc, z, g *float32, lr, negl1, l1, l2x2, shrink2 float32, n int) {
	panic("kernel: no SIMD")
}
func adamaxVec(w, m, u, g *float32, c1, b2, step, eps, tiny float32, n int) { panic("kernel: no SIMD") }
func lionVec(w, m, g *float32, lr, neglr, b1, c1, b2, c2 float32, n int)    { panic("kernel: no SIMD") }
func adadeltaVec(w, acc, del, g *float32, rho, c, eps, lr, tiny float32, n int) {
	panic("kernel: no SIMD")
}
func rmspropCenteredVec(w, v, avg, g *float32, rho, c, lr, eps, tiny float32, n int) {
	panic("kernel: no SIMD")
}
func rmspropMomentumVec(w, v, mom, g *float32, rho, c, lr, eps, mu, tiny float32, n int) {
	panic("kernel: no SIMD")
}
func rmspropCenteredMomentumVec(w, v, avg, mom, g *float32, rho, c, lr, eps, mu, tiny float32, n int) {
	panic("kernel: no SIMD")
}

func countNonzeroVec(x *float32, n int) int { panic("kernel: no SIMD") }
func nonFiniteVec(x *float32, n int) int    { panic("kernel: no SIMD") }

func sparseGemmAVX512x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask, kmask uint16) {
	panic("kernel: no SIMD")
}
func sparseGemmAVX512x32(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask, kmask uint16) {
	panic("kernel: no SIMD")
}
func sparseGemmAVX512x48(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask, kmask uint16) {
	panic("kernel: no SIMD")
}
func sparseGemmAVX512x64(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask, kmask uint16) {
	panic("kernel: no SIMD")
}

func scaleUint8Vec(dst *float32, src *uint8, div float32, n int) { panic("kernel: no SIMD") }
func scaleUint8RcpVec(dst *float32, src *uint8, div, rcp float32, n int) {
	panic("kernel: no SIMD")
}
func prefetchBytesVec(p *uint8, n int) { panic("kernel: no SIMD") }

func expShiftedVec(dst *float64, x *float32, shift float32, n int, tail uint8) {
	panic("kernel: no SIMD")
}

func sparseGemmInPlaceAVX512x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask, kmask uint16) {
	panic("kernel: no SIMD")
}

func sparseGemmInPlaceAVX512x32(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask, kmask uint16) {
	panic("kernel: no SIMD")
}

func sparseGemmInPlaceAVX512x48(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask, kmask uint16) {
	panic("kernel: no SIMD")
}

func sparseGemmInPlaceAVX512x64(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask, kmask uint16) {
	panic("kernel: no SIMD")
}

func sparsePackAVX512x16(dst, src *float32, lds, rows int, mask uint16) { panic("kernel: no SIMD") }
func sparsePackAVX512x32(dst, src *float32, lds, rows int, mask uint16) { panic("kernel: no SIMD") }
func sparsePackAVX512x48(dst, src *float32, lds, rows int, mask uint16) { panic("kernel: no SIMD") }
func sparsePackAVX512x64(dst, src *float32, lds, rows int, mask uint16) { panic("kernel: no SIMD") }

func sparseCompressRowsAVX512(a *float32, lda, k, rows int, vals *float32, idx, ptr *int32, kmask uint16) {
	panic("kernel: no SIMD")
}
func sparseGemmRowsAVX512x16(vals *float32, idx, ptr *int32, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask uint16) {
	panic("kernel: no SIMD")
}
func sparseGemmRowsAVX512x32(vals *float32, idx, ptr *int32, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask uint16) {
	panic("kernel: no SIMD")
}
func sparseGemmRowsAVX512x48(vals *float32, idx, ptr *int32, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask uint16) {
	panic("kernel: no SIMD")
}
func sparseGemmRowsAVX512x64(vals *float32, idx, ptr *int32, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask uint16) {
	panic("kernel: no SIMD")
}
