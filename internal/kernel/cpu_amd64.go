//go:build amd64 && !purego

package kernel

import (
	"strings"

	"golang.org/x/sys/cpu"
)

//go:generate sh -c "cd _asm && go run ./cpu -out ../cpu_amd64.s -stubs ../cpu_stub_amd64.go -pkg kernel"

// thisCPU is read once, before any init function (gemm_amd64.go's init
// chooses the GEMM blocking from its kind).
var thisCPU = detectCPU()

func detectCPU() cpuInfo {
	var c cpuInfo
	maxLeaf, b, cx, d := cpuid(0, 0)
	c.vendor = regString(b, d, cx)
	if maxLeaf >= 1 {
		eax, _, _, _ := cpuid(1, 0)
		c.family, c.model = displayFamilyModel(eax)
	}
	if maxExt, _, _, _ := cpuid(0x80000000, 0); maxExt >= 0x80000004 {
		var s strings.Builder
		for leaf := uint32(0x80000002); leaf <= 0x80000004; leaf++ {
			r0, r1, r2, r3 := cpuid(leaf, 0)
			s.WriteString(regString(r0, r1, r2, r3))
		}
		c.brand = strings.TrimSpace(strings.TrimRight(s.String(), "\x00"))
	}
	c.avx512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL
	c.amx = cpu.X86.HasAMXTile
	c.kind = classify(c.vendor, c.family, c.model, c.avx512, c.amx)
	return c
}

// fmaLoops lists the FMA loops this CPU can run, widest first: 28 FMAs of
// 16 or 8 lanes per iteration.
var fmaLoops = pickFMALoops()

func pickFMALoops() []fmaLoop {
	var l []fmaLoop
	if cpu.X86.HasAVX512F {
		l = append(l, fmaLoop{"zmm", fmaPeakZMM, 2 * 28 * 16})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		l = append(l, fmaLoop{"ymm", fmaPeakYMM, 2 * 28 * 8})
	}
	return l
}
