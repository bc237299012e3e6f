//go:build !amd64 || purego

package kernel

// Without the assembly loop, MaxPool2x2's pure-Go loop does all the work.
func maxPoolRow(y []float32, arg []int32, x []float32, ow, c, rs, at0 int) int { return 0 }
