//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./elementwise -out ../elementwise_amd64.s -stubs ../elementwise_stub_amd64.go -pkg kernel"

// The element-wise loops (elementwise_amd64.s) need only AVX: they are bound
// by memory, not arithmetic, and use no FMA so as to round as the Go code does.
func init() { useSIMD = cpu.X86.HasAVX }
