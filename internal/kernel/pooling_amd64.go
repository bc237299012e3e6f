//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./pooling -out ../pooling_amd64.s -stubs ../pooling_stub_amd64.go -pkg kernel"

// poolAVX says maxPool2x2Row8 (pooling_amd64.s, AVX2 integer adds) may run.
var poolAVX = cpu.X86.HasAVX2

// maxPoolRow does one output row of MaxPool2x2 with the vector loop when
// the channels fill whole vectors, and reports whether it did.
func maxPoolRow(y []float32, arg []int32, x []float32, ow, c, rs, at0 int) bool {
	if !poolAVX || poolVecOff || c%8 != 0 || ow < 1 {
		return false
	}
	maxPool2x2Row8(&y[0], &arg[0], &x[0], ow, c, rs, at0)
	return true
}
