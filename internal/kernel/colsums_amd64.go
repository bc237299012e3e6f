//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./colsums -out ../colsums_amd64.s -stubs ../colsums_stub_amd64.go -pkg kernel"

// colSumsAVX512OK says colSumsAVX512 may run.
var colSumsAVX512OK = cpu.X86.HasAVX512F

// colSumsVec adds the whole blocks of src, len(acc) values each, into acc
// in block order, in assembly when it may, and returns how many values of
// src it consumed: 0 when it did nothing (no AVX-512, or a len(acc) that
// is not a multiple of 16), else a multiple of len(acc). Each sum is the
// one AddTo gives, so the caller's loop finishes the rest with AddTo.
func colSumsVec(acc, src []float32) int {
	l := len(acc)
	if !colSumsAVX512OK || colSumsVecOff || l == 0 || l%16 != 0 || len(src) < l {
		return 0
	}
	blocks := len(src) / l
	// Eight vectors at a time, over every block: each lane still receives
	// the blocks in order.
	for v := 0; v < l/16; v += 8 {
		k := min(8, l/16-v)
		_ = src[(blocks-1)*l+(v+k)*16-1]
		colSumsAVX512(&acc[v*16], &src[v*16], k, blocks, l)
	}
	return blocks * l
}
