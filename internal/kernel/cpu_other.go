//go:build !amd64 || purego

package kernel

// Without assembly there is no CPUID to read and no FMA loop to time: the
// pure-Go GEMM has one blocking for every CPU.

var thisCPU = cpuInfo{}

var fmaLoops []fmaLoop

// kindKernels: one implementation for every CPU, so none per kind.
func kindKernels() []*microKernel { return nil }
