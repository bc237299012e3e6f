//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./batchnorm -out ../batchnorm_amd64.s -stubs ../batchnorm_stub_amd64.go -pkg kernel"

// bnAVX says the AVX loops of batchnorm_amd64.s may run; they take rows of
// a multiple of 8 channels and give the pure-Go loops' bits.
var bnAVX = cpu.X86.HasAVX

func bnVec(n int) bool { return bnAVX && !bnVecOff && n%8 == 0 && n > 0 }

func colSumsRun(dst []float64, x []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	colSums8(&dst[0], &x[0], rows, n)
	return true
}

func colSquaresRun(dst []float64, x, centre []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	colSquares8(&dst[0], &x[0], &centre[0], rows, n)
	return true
}

func colDotsRun(sum, dot []float64, dy, x, mean []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	colDots8(&sum[0], &dot[0], &dy[0], &x[0], &mean[0], rows, n)
	return true
}

func affineRows(y, x, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	affine8(&y[0], &x[0], &scale[0], &shift[0], rows, n)
	return true
}

func bnGradRows(dx, dy, x, a, b, mean, d []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	bnGrad8(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], rows, n)
	return true
}

func colDotsReLURun(sum, dot []float64, dy, x, mean, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	colDotsReLU8(&sum[0], &dot[0], &dy[0], &x[0], &mean[0], &scale[0], &shift[0], rows, n)
	return true
}

func affineReLURows(y, x, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	affineReLU8(&y[0], &x[0], &scale[0], &shift[0], rows, n)
	return true
}

func bnGradReLURows(dx, dy, x, a, b, mean, d, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	bnGradReLU8(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], &scale[0], &shift[0], rows, n)
	return true
}

func bnGradSetRows(dx, dy, x, a, b, mean, d []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	bnGradSet8(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], rows, n)
	return true
}

func bnGradReLUSetRows(dx, dy, x, a, b, mean, d, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	bnGradReLUSet8(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], &scale[0], &shift[0], rows, n)
	return true
}
