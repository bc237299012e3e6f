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

// Add computes dst = a + b. All three have the same length; dst may alias a or b.
func Add(dst, a, b []float32) {
	checkLen("Add", len(dst), len(a), len(b))
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// AddTo computes dst += src. Both have the same length.
func AddTo(dst, src []float32) {
	checkLen("AddTo", len(dst), len(src))
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// Axpy computes dst += alpha*x. Both have the same length.
func Axpy(dst []float32, alpha float32, x []float32) {
	checkLen("Axpy", len(dst), len(x))
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += alpha * x[i]
	}
}

// Scale computes dst *= alpha.
func Scale(dst []float32, alpha float32) {
	for i := range dst {
		dst[i] *= alpha
	}
}

// Mul computes dst = a * b element-wise. All three have the same length.
func Mul(dst, a, b []float32) {
	checkLen("Mul", len(dst), len(a), len(b))
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// AddRowVector adds v (n) to every row of dst (m×n): dst[i*n+j] += v[j].
// It is a dense layer's bias add.
func AddRowVector(dst, v []float32, m, n int) {
	checkMatrix("AddRowVector", m, n, len(dst))
	checkMatrix("AddRowVector", 1, n, len(v))
	v = v[:n]
	for i := 0; i < m; i++ {
		row := dst[i*n : i*n+n]
		for j := range row {
			row[j] += v[j]
		}
	}
}

// AddColumnSums adds the column sums of src (m×n) to dst (n):
// dst[j] += Σ_i src[i*n+j], summed with i ascending. It is the bias gradient
// of a dense layer; the fixed order keeps it deterministic.
func AddColumnSums(dst, src []float32, m, n int) {
	checkMatrix("AddColumnSums", m, n, len(src))
	checkMatrix("AddColumnSums", 1, n, len(dst))
	dst = dst[:n]
	for i := 0; i < m; i++ {
		row := src[i*n : i*n+n]
		for j := range row {
			dst[j] += row[j]
		}
	}
}
