//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./col2im -out ../col2im_amd64.s -stubs ../col2im_stub_amd64.go -pkg kernel"

// col2imAVX512 says col2imRowsAVX512 (masked adds, BZHI and SHLX) may run.
var col2imAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// col2imVec runs col2imRows's loop in assembly and reports whether it did;
// the caller has checked the lengths.
func col2imVec(dst, src []float32, dstep, sstep, rowLen, n, rows, drs, srs int) bool {
	if !col2imAVX512 || col2imVecOff {
		return false
	}
	col2imRowsAVX512(&dst[0], &src[0], dstep, sstep, rowLen, (n-1)*dstep+rowLen, n*dstep, rows, drs, srs)
	return true
}
