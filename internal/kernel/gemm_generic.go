package kernel

// genericKernel is the pure-Go reference implementation of the tile, and the
// one used everywhere but amd64 or under the purego build tag.
var genericKernel = microKernel{
	name: "purego",
	mr:   4, nr: 4,
	mc: 64, kc: 256, nc: 1024,
	tile: tileGeneric,
}

// tileGeneric implements microKernel.tile. A full 4×4 tile keeps its sixteen
// accumulators in locals so the compiler can hold them in registers; edge
// tiles take the plain loop, which sums in the same order.
func tileGeneric(k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	if rows == 4 && cols == 4 {
		tile4x4(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta)
		return
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			var acc float32
			for p := 0; p < k; p++ {
				acc += a[i*rsa+p*csa] * b[p*ldb+j]
			}
			storeC(&c[i*ldc+j], alpha, beta, acc)
		}
	}
}

func storeC(c *float32, alpha, beta, acc float32) {
	if beta == 0 {
		*c = alpha * acc
	} else {
		*c = alpha*acc + beta**c
	}
}

func tile4x4(k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	ai, bi := 0, 0
	for p := 0; p < k; p++ {
		bb := b[bi : bi+4 : bi+4]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		a0, a1, a2, a3 := a[ai], a[ai+rsa], a[ai+2*rsa], a[ai+3*rsa]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		ai += csa
		bi += ldb
	}
	acc := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range 4 {
		row := c[i*ldc : i*ldc+4 : i*ldc+4]
		for j := range 4 {
			storeC(&row[j], alpha, beta, acc[i][j])
		}
	}
}
