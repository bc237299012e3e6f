//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./elementwise -out ../elementwise_amd64.s -stubs ../elementwise_stub_amd64.go -pkg kernel"

// The element-wise loops (elementwise_amd64.s) need only AVX: they are bound
// by memory, not arithmetic, and use no FMA so as to round as the Go code does.
// The sparse products need AVX-512F (compares into mask registers,
// compress) and BMI1; counting non-zeros needs POPCNT. Scaling bytes without
// a division needs AVX-512F's FMA.
func init() {
	useSIMD = cpu.X86.HasAVX && cpu.X86.HasPOPCNT
	useSparse = useSIMD && cpu.X86.HasAVX512F && cpu.X86.HasBMI1
	useExp = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL
	useScaleRcp = useSIMD && cpu.X86.HasAVX512F
}
