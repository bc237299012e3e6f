//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./pooling -out ../pooling_amd64.s -stubs ../pooling_stub_amd64.go -pkg kernel"

// poolAVX says maxPool2x2Row8 (pooling_amd64.s, AVX2 integer adds) may run.
var poolAVX = cpu.X86.HasAVX2

// maxPoolRow does the first windows of one output row of MaxPool2x2 with
// the vector loop and returns how many: all ow when the channels fill
// whole vectors; otherwise all but the last, since each window's last
// vector spills into the next window's outputs (and reads as far into its
// cells), which only a following window makes good. When the spill would
// reach past the next window (c < 4) it does none.
func maxPoolRow(y []float32, arg []int32, x []float32, ow, c, rs, at0 int) int {
	if !poolAVX || poolVecOff || (8-c%8)%8 > c {
		return 0
	}
	n := ow
	if c%8 != 0 {
		n = ow - 1
	}
	if n < 1 {
		return 0
	}
	maxPool2x2Row8(&y[0], &arg[0], &x[0], n, c, rs, at0)
	return n
}
