//go:build !amd64 || purego

package kernel

// Without the assembly loops, the pure-Go loops of batchnorm.go and
// batchnorm_relu.go do all the work.

func colSumsRun(dst []float64, x []float32, rows, n int) bool                { return false }
func colSquaresRun(dst []float64, x, centre []float32, rows, n int) bool     { return false }
func colDotsRun(sum, dot []float64, dy, x, mean []float32, rows, n int) bool { return false }
func affineRows(y, x, scale, shift []float32, rows, n int) bool              { return false }
func bnGradRows(dx, dy, x, a, b, mean, d []float32, rows, n int) bool        { return false }
func colDotsReLURun(sum, dot []float64, dy, x, mean, scale, shift []float32, rows, n int) bool {
	return false
}
func affineReLURows(y, x, scale, shift []float32, rows, n int) bool { return false }
func bnGradReLURows(dx, dy, x, a, b, mean, d, scale, shift []float32, rows, n int) bool {
	return false
}
func bnGradSetRows(dx, dy, x, a, b, mean, d []float32, rows, n int) bool { return false }
func bnGradReLUSetRows(dx, dy, x, a, b, mean, d, scale, shift []float32, rows, n int) bool {
	return false
}
