// Command cpu generates cpu_amd64.s of package kernel with avo: the CPUID
// instruction, which tells the microarchitecture apart (golang.org/x/sys/cpu
// reports instruction sets only), and the loops that measure the CPU's
// fused-multiply-add peak. Run it through go generate in package kernel.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

// chains independent accumulators, each advanced unroll times per
// iteration. Fourteen chains keep two FMA pipes busy for any FMA latency up
// to 7 cycles (it is 4 on Zen 4, Zen 5 and Intel's AVX-512 cores), so the
// loop is bound by FMA issue alone; with the two operands they fill the 16
// registers AVX2 can name. Zero times zero plus zero stays zero: no
// denormals, no overflow, whatever n is. FMAPeak's flops per iteration
// must be 2·chains·unroll·lanes.
const (
	chains = 14
	unroll = 2
)

func main() {
	ConstraintExpr("amd64,!purego")
	cpuid()
	peakLoop("fmaPeakZMM", "512-bit", asm.Zmm[:16], func(r VecPhysical) { VPXORD(r, r, r) }) // AVX-512F alone
	peakLoop("fmaPeakYMM", "256-bit", asm.Ymm[:16], func(r VecPhysical) { VXORPS(r, r, r) })
	Generate()
}

func cpuid() {
	TEXT("cpuid", NOSPLIT, "func(leaf uint32, sub uint32) (eax uint32, ebx uint32, ecx uint32, edx uint32)")
	Doc("cpuid executes CPUID with EAX = leaf and ECX = sub and returns the four",
		"registers it sets.")
	Load(Param("leaf"), EAX)
	Load(Param("sub"), ECX)
	CPUID()
	Store(EAX, Return("eax"))
	Store(EBX, Return("ebx"))
	Store(ECX, Return("ecx"))
	Store(EDX, Return("edx"))
	RET()
}

// peakLoop emits a loop of n iterations of chains×unroll VFMADD231PS on
// registers of one width, each chain depending only on itself.
func peakLoop(name, width string, regs []VecPhysical, zero func(VecPhysical)) {
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n iterations of %d independent %s VFMADD231PS", name, chains*unroll, width),
		fmt.Sprintf("(%d chains, %d each), n ≥ 1; it computes nothing, it only occupies the FMA", chains, unroll),
		"units for FMAPeak to time.")
	n := Load(Param("n"), GP64())
	for _, r := range regs {
		zero(r)
	}
	a, b := regs[chains], regs[chains+1]
	Label(name + "_loop")
	for u := 0; u < unroll; u++ {
		for i := 0; i < chains; i++ {
			VFMADD231PS(a, b, regs[i])
		}
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
}
