// Package asm holds the avo code that more than one generator command of
// package kernel's assembly emits: each command (the GEMM tiles in _asm,
// the bfloat16, int8, convolution and other kernels in its subdirectories)
// is a main package of its own, so what two of them share cannot live in
// either. Nothing here changes an instruction: each helper emits exactly
// what its callers wrote out before.
package asm
