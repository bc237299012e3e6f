//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./gradrows -out ../gradrows_amd64.s -stubs ../gradrows_stub_amd64.go -pkg kernel"

// maskRowsAVX512OK says maskRowsAVX512 may run.
var maskRowsAVX512OK = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// maskRowsVec sets rows rows of drs values of dst: the first n of row r
// to reluMask of dy and y's row r (srs values apart), the rest to +0; in
// assembly when it may, and says whether it did.
func maskRowsVec(dst, dy, y []float32, n, rows, drs, srs int) bool {
	if !maskRowsAVX512OK || maskRowsVecOff || rows < 1 || n < 1 || n > drs {
		return false
	}
	// The loop touches exactly these extents: the last line of defence.
	_, _, _ = dst[rows*drs-1], dy[(rows-1)*srs+n-1], y[(rows-1)*srs+n-1]
	maskRowsAVX512(&dst[0], &dy[0], &y[0], n, rows, drs, srs)
	return true
}
