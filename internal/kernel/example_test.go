package kernel_test

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// C = A·B on 2×2 matrices, row-major, then the same A times Bᵀ (the form of
// a dense layer's input gradient, dX = dY·Wᵀ) accumulated into C (beta 1).
func ExampleGemm() {
	a := []float32{
		1, 2,
		3, 4,
	}
	b := []float32{
		5, 6,
		7, 8,
	}
	c := make([]float32, 4)
	kernel.Gemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	fmt.Println(c)

	// A·Bᵀ = [[1·5+2·6, 1·7+2·8], [3·5+4·6, 3·7+4·8]] = [[17, 23], [39, 53]],
	// added to the C above.
	kernel.Gemm(false, true, 2, 2, 2, 1, a, 2, b, 2, 1, c, 2)
	fmt.Println(c)
	// Output:
	// [19 22 43 50]
	// [36 45 82 103]
}
