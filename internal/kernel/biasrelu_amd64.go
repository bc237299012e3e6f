//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./biasrelu -out ../biasrelu_amd64.s -stubs ../biasrelu_stub_amd64.go -pkg kernel"

// biasReLUAVX512OK says biasReLUAVX512 may run.
var biasReLUAVX512OK = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// biasReLUVec sets y[i] = relu(y[i] + rep[i mod len(rep)]) in assembly
// when it may (len(rep) a multiple of 16), with the bits of AddTo then
// ReLU, and says whether it did.
func biasReLUVec(y, rep []float32) bool {
	if !biasReLUAVX512OK || biasReLUVecOff || len(y) == 0 || len(rep) == 0 || len(rep)%16 != 0 {
		return false
	}
	biasReLUAVX512(&y[0], &rep[0], len(y), len(rep))
	return true
}
