package kernel

import "fmt"

// checkLen panics unless every slice has exactly len(dst) elements.
// Element-wise kernels take no dimensions, so equal lengths are the contract.
func checkLen(op string, dst int, others ...int) {
	for _, n := range others {
		if n != dst {
			panic(fmt.Sprintf("kernel: %s: length mismatch: dst has %d elements, operand has %d", op, dst, n))
		}
	}
}

// checkMatrix panics unless m, n ≥ 0 and every length is at least m*n.
func checkMatrix(op string, m, n int, lens ...int) {
	if m < 0 || n < 0 {
		panic(fmt.Sprintf("kernel: %s: negative dimension m=%d n=%d", op, m, n))
	}
	for _, l := range lens {
		if l < m*n {
			panic(fmt.Sprintf("kernel: %s: slice of %d elements is shorter than m*n = %d*%d", op, l, m, n))
		}
	}
}

// Fill sets every element of dst to v.
func Fill(dst []float32, v float32) {
	for i := range dst {
		dst[i] = v
	}
}

// useSIMD selects the AVX loops of elementwise_amd64.s for the element-wise
// kernels; it is set at start-up when the CPU has AVX, never under the purego
// tag. Each exported function runs the largest multiple of 8 elements through
// the assembly and the rest through the pure-Go reference loop, which the
// assembly equals bit for bit. Tests flip it to hold both against the
// reference.
var useSIMD bool

// simdLen is the number of leading elements of an n-element operation that
// the assembly handles: 0 without SIMD, else n rounded down to a multiple of 8.
func simdLen(n int) int {
	if !useSIMD {
		return 0
	}
	return n &^ 7
}

// Add computes dst = a + b. All three have the same length; dst may alias a or b.
func Add(dst, a, b []float32) {
	checkLen("Add", len(dst), len(a), len(b))
	if k := simdLen(len(dst)); k > 0 {
		addVec(&dst[0], &a[0], &b[0], k)
		dst, a, b = dst[k:], a[k:], b[k:]
	}
	addGeneric(dst, a, b)
}

func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// AddTo computes dst += src. Both have the same length.
func AddTo(dst, src []float32) {
	checkLen("AddTo", len(dst), len(src))
	if k := simdLen(len(dst)); k > 0 {
		addVec(&dst[0], &dst[0], &src[0], k)
		dst, src = dst[k:], src[k:]
	}
	addGeneric(dst, dst, src)
}

// Axpy computes dst += alpha*x (the product rounded to float32, then the
// sum). Both have the same length.
func Axpy(dst []float32, alpha float32, x []float32) {
	checkLen("Axpy", len(dst), len(x))
	if k := simdLen(len(dst)); k > 0 {
		axpyVec(&dst[0], alpha, &x[0], k)
		dst, x = dst[k:], x[k:]
	}
	axpyGeneric(dst, alpha, x)
}

func axpyGeneric(dst []float32, alpha float32, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += alpha * x[i]
	}
}

// Scale computes dst *= alpha.
func Scale(dst []float32, alpha float32) {
	if k := simdLen(len(dst)); k > 0 {
		scaleVec(&dst[0], alpha, k)
		dst = dst[k:]
	}
	scaleGeneric(dst, alpha)
}

func scaleGeneric(dst []float32, alpha float32) {
	for i := range dst {
		dst[i] *= alpha
	}
}

// Mul computes dst = a * b element-wise. All three have the same length;
// dst may alias a or b.
func Mul(dst, a, b []float32) {
	checkLen("Mul", len(dst), len(a), len(b))
	if k := simdLen(len(dst)); k > 0 {
		mulVec(&dst[0], &a[0], &b[0], k)
		dst, a, b = dst[k:], a[k:], b[k:]
	}
	mulGeneric(dst, a, b)
}

func mulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// AddRowVector adds v (n) to every row of dst (m×n): dst[i*n+j] += v[j].
// It is a dense layer's bias add.
func AddRowVector(dst, v []float32, m, n int) {
	AddRowVectorTo(dst, dst, v, m, n)
}

// AddRowVectorTo sets every row of dst (m×n) to the same row of x (m×n)
// plus v (n): dst[i*n+j] = x[i*n+j] + v[j]. dst may alias x. It is a dense
// layer's bias add in one pass, without first copying x into dst.
func AddRowVectorTo(dst, x, v []float32, m, n int) {
	checkMatrix("AddRowVectorTo", m, n, len(dst), len(x))
	checkMatrix("AddRowVectorTo", 1, n, len(v))
	v = v[:n]
	for i := 0; i < m; i++ {
		Add(dst[i*n:i*n+n], x[i*n:i*n+n], v)
	}
}

// AddColumnSums adds the column sums of src (m×n) to dst (n):
// dst[j] += Σ_i src[i*n+j], summed with i ascending. It is the bias gradient
// of a dense layer; the fixed order keeps it deterministic.
func AddColumnSums(dst, src []float32, m, n int) {
	checkMatrix("AddColumnSums", m, n, len(src))
	checkMatrix("AddColumnSums", 1, n, len(dst))
	dst = dst[:n]
	if simdLen(n) == 0 {
		// Rows narrower than a vector (a convolution's few channels):
		// one call per row would cost more than it saves.
		for i := 0; i < m; i++ {
			addGeneric(dst, dst, src[i*n:i*n+n])
		}
		return
	}
	// Row by row keeps each column's sum in ascending i, as the reference.
	for i := 0; i < m; i++ {
		AddTo(dst, src[i*n:i*n+n])
	}
}

// ScaleUint8 computes dst[i] = float32(src[i]) / div: 8-bit pixels into the
// float32 batch a model reads (div = 255 gives Keras's x / 255). Both have
// the same length. Division, not a product with 1/div, so that every value
// is the correctly rounded quotient.
func ScaleUint8(dst []float32, src []uint8, div float32) {
	checkLen("ScaleUint8", len(dst), len(src))
	if k := len(dst) &^ 15; k > 0 && useSIMD && useScaleRcp {
		if rcp, ok := scaleReciprocal(div); ok {
			scaleUint8RcpVec(&dst[0], &src[0], div, rcp, k)
			dst, src = dst[k:], src[k:]
		}
	}
	if k := simdLen(len(dst)); k > 0 {
		scaleUint8Vec(&dst[0], &src[0], div, k)
		dst, src = dst[k:], src[k:]
	}
	scaleUint8Generic(dst, src, div)
}

func scaleUint8Generic(dst []float32, src []uint8, div float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float32(v) / div
	}
}
