//go:build !amd64 || purego

package kernel

// Without the assembly loop, MaxPool2x2's pure-Go loop does all the work.
func maxPoolRow(y []float32, arg []int32, x []float32, ow, c, rs, at0 int) int { return 0 }

// Without assembly, maxPoolWinsSample's pure-Go loop does all the work.
func maxPoolWinsVec(y []float32, win []uint8, x []float32, oh, ow, c, rs int) bool { return false }

// Without assembly, maxPoolWinsBackSample's pure-Go loop does all the work.
func maxPoolWinsBackVec(dx, dy []float32, win []uint8, oh, ow, c, rs int, set bool) bool {
	return false
}

// Without assembly, maxPoolWinsSample's pure-Go loop does all the work.
func maxPoolWinsRow(y []float32, win []uint8, x []float32, ow, c, rs int, spill bool) int {
	return 0
}
