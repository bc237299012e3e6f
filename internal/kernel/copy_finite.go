package kernel

import "fmt"

// copyFiniteChunk is how many values CopyFinite copies before it checks
// them: 16 KiB, so that the check reads them from L1, where a check after
// the whole copy would read a large batch back from L3 or memory.
const copyFiniteChunk = 4096

// CopyFinite copies src into dst, of the same length, and returns the
// index of the first NaN or ±Inf in it, or -1 when every value is finite:
// copy(dst, src) then FirstNonFinite(dst), in one pass over memory instead
// of two. A model's input batch goes through it on its way into the plan.
func CopyFinite(dst, src []float32) int {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernel: CopyFinite into %d values from %d", len(dst), len(src)))
	}
	for lo := 0; lo < len(src); lo += copyFiniteChunk {
		hi := min(lo+copyFiniteChunk, len(src))
		copy(dst[lo:hi], src[lo:hi])
		if at := FirstNonFinite(dst[lo:hi]); at >= 0 {
			copy(dst[hi:], src[hi:])
			return lo + at
		}
	}
	return -1
}
