package kernel

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDisplayFamilyModel(t *testing.T) {
	for _, tc := range []struct {
		eax           uint32
		family, model int
	}{
		{0x00B00F21, 0x1A, 0x02}, // AMD EPYC 9005 (Turin), this repository's CI machine
		{0x00A10F11, 0x19, 0x11}, // AMD EPYC 9004 (Genoa)
		{0x00A60F12, 0x19, 0x61}, // AMD Ryzen 7000 (Raphael)
		{0x00800F12, 0x17, 0x01}, // AMD EPYC 7001 (Naples)
		{0x00050654, 0x06, 0x55}, // Intel Xeon Skylake-SP
		{0x000806F8, 0x06, 0x8F}, // Intel Xeon Sapphire Rapids
		{0x000906EA, 0x06, 0x9E}, // Intel Core Coffee Lake
		{0x00000F29, 0x0F, 0x02}, // Intel Pentium 4: family 0xF, no extension
	} {
		f, m := displayFamilyModel(tc.eax)
		if f != tc.family || m != tc.model {
			t.Errorf("displayFamilyModel(%#08x) = family %#x model %#x, want %#x %#x", tc.eax, f, m, tc.family, tc.model)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		vendor        string
		family, model int
		avx512, amx   bool
		want          cpuKind
	}{
		{"AuthenticAMD", 0x1A, 0x02, true, false, cpuZen5},   // Turin
		{"AuthenticAMD", 0x1A, 0x44, true, false, cpuZen5},   // Granite Ridge
		{"AuthenticAMD", 0x1A, 0x24, true, false, cpuZen4},   // Strix Point: 256-bit datapath
		{"AuthenticAMD", 0x1A, 0x70, true, false, cpuZen4},   // Strix Halo
		{"AuthenticAMD", 0x19, 0x11, true, false, cpuZen4},   // Genoa
		{"AuthenticAMD", 0x19, 0x61, true, false, cpuZen4},   // Raphael
		{"AuthenticAMD", 0x19, 0x01, false, false, cpuOther}, // Milan: Zen 3, AVX2 only
		{"AuthenticAMD", 0x19, 0x11, false, false, cpuOther}, // AVX-512 disabled by the OS
		{"GenuineIntel", 6, 0x55, true, false, cpuIntelServer},
		{"GenuineIntel", 6, 0x8F, true, true, cpuIntelServer}, // Sapphire Rapids
		{"GenuineIntel", 6, 0x8C, true, false, cpuOther},      // Tiger Lake: one 512-bit FMA
		{"GenuineIntel", 6, 0xA7, true, false, cpuOther},      // Rocket Lake
		{"GenuineIntel", 6, 0xA7, true, true, cpuIntelServer}, // a Xeon with AMX behind a hypervisor's model
		{"GenuineIntel", 6, 0x9E, false, false, cpuOther},
		{"CentaurHauls", 7, 0x3B, true, false, cpuOther},
		{"", 0, 0, false, false, cpuOther},
	} {
		if got := classify(tc.vendor, tc.family, tc.model, tc.avx512, tc.amx); got != tc.want {
			t.Errorf("classify(%q, %#x, %#x, avx512=%v, amx=%v) = %v, want %v", tc.vendor, tc.family, tc.model, tc.avx512, tc.amx, got, tc.want)
		}
	}
}

func TestRegString(t *testing.T) {
	// CPUID leaf 0 on an AMD CPU: EBX "Auth", EDX "enti", ECX "cAMD".
	if got := regString(0x68747541, 0x69746E65, 0x444D4163); got != "AuthenticAMD" {
		t.Errorf("regString = %q, want AuthenticAMD", got)
	}
}

// TestCPUName checks that this machine's description carries what CPUID
// said and the kind it was classified as; where there is no CPUID (purego,
// other architectures) it says so.
func TestCPUName(t *testing.T) {
	name, gemm := CPUName(), GemmName()
	t.Logf("CPU: %s; GEMM: %s", name, gemm)
	if thisCPU.vendor == "" {
		if !strings.HasPrefix(name, "unknown") {
			t.Errorf("CPUName() = %q without CPUID, want it to start with unknown", name)
		}
		return
	}
	want := fmt.Sprintf("%s family %#02x model %#02x: %s)", thisCPU.vendor, thisCPU.family, thisCPU.model, thisCPU.kind)
	if !strings.HasSuffix(name, want) {
		t.Errorf("CPUName() = %q, want it to end with %q", name, want)
	}
	if thisCPU.vendor != "AuthenticAMD" && thisCPU.vendor != "GenuineIntel" && thisCPU.kind != cpuOther {
		t.Errorf("vendor %q classified as %v", thisCPU.vendor, thisCPU.kind)
	}
	if !strings.HasPrefix(gemm, active.name+": tile ") {
		t.Errorf("GemmName() = %q, want it to start with %q", gemm, active.name)
	}
}

// TestFMAPeak checks the measured peak against what the loop can reach at
// all: more than 1 FLOP per nanosecond (any FMA unit at any clock), less
// than 64 FLOPs per cycle at 6 GHz per core.
func TestFMAPeak(t *testing.T) {
	if testing.Short() {
		t.Skip("times 0.2 s of FMA loops")
	}
	p := FMAPeak(1)
	if len(fmaLoops) == 0 {
		if p != 0 {
			t.Errorf("FMAPeak(1) = %g without an FMA loop, want 0", p)
		}
		return
	}
	t.Logf("FMA peak, one core: %.1f GFLOP/s (%s)", p, fmaLoops[0].name)
	if p < 1 || p > 64*6 {
		t.Errorf("FMAPeak(1) = %g GFLOP/s, want 1 to 384", p)
	}
	if FMAPeak(0) != 0 {
		t.Error("FMAPeak(0) != 0")
	}
}

// BenchmarkFMAPeak times each FMA loop of this CPU (fmaPeakZMM,
// fmaPeakYMM: 28 independent FMAs per iteration) on 1 and 2 cores at once;
// GFLOP/s is the sum over the cores. internal/kernel/BENCH.md says how the
// peak quoted there was measured with it.
func BenchmarkFMAPeak(b *testing.B) {
	for _, l := range fmaLoops {
		for _, cores := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/cores=%d", l.name, cores), func(b *testing.B) {
				const n = 50000 // 1.4 M FMAs per core, 0.3–1 ms
				var total time.Duration
				for b.Loop() {
					total += l.run(cores, n)
				}
				b.ReportMetric(l.gflops(cores, n*b.N, total), "GFLOP/s")
			})
		}
	}
}

// TestKindKernelsTested checks that the blocking of every kind of CPU is
// one the conformance tests run (they range over kernels), on whatever CPU
// the tests run.
func TestKindKernelsTested(t *testing.T) {
	same := func(a, b *microKernel) bool {
		return a.mr == b.mr && a.nr == b.nr && a.mc == b.mc && a.kc == b.kc && a.nc == b.nc &&
			a.inPlace == b.inPlace && reflect.ValueOf(a.tile).Pointer() == reflect.ValueOf(b.tile).Pointer() &&
			reflect.ValueOf(a.packTile).Pointer() == reflect.ValueOf(b.packTile).Pointer()
	}
	for kind, k := range kindKernels() {
		found := false
		for _, tested := range kernels {
			found = found || same(k, tested)
		}
		if !found {
			t.Errorf("kind %v runs %s, whose blocking no conformance test runs", cpuKind(kind), k.name)
		}
	}
	if ks := kindKernels(); ks != nil && ks[thisCPU.kind] != active {
		k := ks[thisCPU.kind]
		t.Errorf("this CPU is %v, whose implementation is %s, but Gemm uses %s", thisCPU.kind, k.name, active.name)
	}
}
