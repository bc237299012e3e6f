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

// poolWinsAVX512 says maxPool2x2Wins16 and maxPool2x2WinsBack16
// (pooling_amd64.s) may run: they use AVX-512 F, BW and VL.
var poolWinsAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL

// winsTail is the lane mask of the last 16-channel block of a window of c
// channels.
func winsTail(c int) int {
	if c%16 == 0 {
		return 0xFFFF
	}
	return 1<<(c%16) - 1
}

// maxPoolWinsVec runs maxPoolWinsSample's loop, oh, ow ≥ 1, in assembly
// when it may, and says whether it did.
func maxPoolWinsVec(y []float32, win []uint8, x []float32, oh, ow, c, rs int) bool {
	if !poolWinsAVX512 || poolVecOff {
		return false
	}
	// The loop touches exactly the cells and outputs the slices' lengths
	// already cover (checked by the caller): the bounds below are its
	// extent, as a last line of defence.
	_, _, _ = y[oh*ow*c-1], win[oh*ow*c-1], x[(2*oh-1)*rs+2*ow*c-1]
	maxPool2x2Wins16(&y[0], &win[0], &x[0], oh, ow, c, rs, winsTail(c))
	return true
}

// maxPoolWinsBackVec runs maxPoolWinsBackSample's loop, oh, ow ≥ 1, in
// assembly when it may, and says whether it did.
func maxPoolWinsBackVec(dx, dy []float32, win []uint8, oh, ow, c, rs int) bool {
	if !poolWinsAVX512 || poolVecOff {
		return false
	}
	_, _, _ = dy[oh*ow*c-1], win[oh*ow*c-1], dx[(2*oh-1)*rs+2*ow*c-1]
	maxPool2x2WinsBack16(&dx[0], &dy[0], &win[0], oh, ow, c, rs, winsTail(c))
	return true
}
