//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./batchnorm -out ../batchnorm_amd64.s -stubs ../batchnorm_stub_amd64.go -pkg kernel"

// bnAVX says the AVX loops of batchnorm_amd64.s may run; they take rows of
// a multiple of 8 channels and give the pure-Go loops' bits. bnAVX512 says
// the AVX-512 ones may, for rows of a multiple of 16 channels (32 for the
// reductions), with the same bits.
var (
	bnAVX    = cpu.X86.HasAVX
	bnAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
)

func bnVec(n int) bool { return bnAVX && !bnVecOff && n%8 == 0 && n > 0 }

// bnWide says a loop over rows of n channels takes the AVX-512 kernels,
// whose steps take per channels (16, or 32 for the reductions).
func bnWide(n, per int) bool { return bnAVX512 && !bnWideOff && n%per == 0 }

func colSumsRun(dst []float64, x []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 32) {
		colSums32(&dst[0], &x[0], rows, n)
		return true
	}
	colSums8(&dst[0], &x[0], rows, n)
	return true
}

func colSquaresRun(dst []float64, x, centre []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 32) {
		colSquares32(&dst[0], &x[0], &centre[0], rows, n)
		return true
	}
	colSquares8(&dst[0], &x[0], &centre[0], rows, n)
	return true
}

func colDotsRun(sum, dot []float64, dy, x, mean []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 32) {
		colDots32(&sum[0], &dot[0], &dy[0], &x[0], &mean[0], rows, n)
		return true
	}
	colDots8(&sum[0], &dot[0], &dy[0], &x[0], &mean[0], rows, n)
	return true
}

func affineRows(y, x, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 16) {
		affine16(&y[0], &x[0], &scale[0], &shift[0], rows, n)
		return true
	}
	affine8(&y[0], &x[0], &scale[0], &shift[0], rows, n)
	return true
}

func bnGradRows(dx, dy, x, a, b, mean, d []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 16) {
		bnGrad16(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], rows, n)
		return true
	}
	bnGrad8(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], rows, n)
	return true
}

func colDotsReLURun(sum, dot []float64, dy, x, mean, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 32) {
		colDotsReLU32(&sum[0], &dot[0], &dy[0], &x[0], &mean[0], &scale[0], &shift[0], rows, n)
		return true
	}
	colDotsReLU8(&sum[0], &dot[0], &dy[0], &x[0], &mean[0], &scale[0], &shift[0], rows, n)
	return true
}

func affineReLURows(y, x, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 16) {
		affineReLU16(&y[0], &x[0], &scale[0], &shift[0], rows, n)
		return true
	}
	affineReLU8(&y[0], &x[0], &scale[0], &shift[0], rows, n)
	return true
}

func bnGradReLURows(dx, dy, x, a, b, mean, d, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 16) {
		bnGradReLU16(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], &scale[0], &shift[0], rows, n)
		return true
	}
	bnGradReLU8(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], &scale[0], &shift[0], rows, n)
	return true
}

func bnGradSetRows(dx, dy, x, a, b, mean, d []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 16) {
		bnGradSet16(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], rows, n)
		return true
	}
	bnGradSet8(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], rows, n)
	return true
}

func bnGradReLUSetRows(dx, dy, x, a, b, mean, d, scale, shift []float32, rows, n int) bool {
	if !bnVec(n) || rows < 1 {
		return false
	}
	if bnWide(n, 16) {
		bnGradReLUSet16(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], &scale[0], &shift[0], rows, n)
		return true
	}
	bnGradReLUSet8(&dx[0], &dy[0], &x[0], &a[0], &b[0], &mean[0], &d[0], &scale[0], &shift[0], rows, n)
	return true
}
