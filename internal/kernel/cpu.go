package kernel

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// cpuKind is a family of microarchitectures that share one GEMM blocking:
// cores whose FMA width, FMA count and cache sizes call for the same tile
// and block sizes.
type cpuKind int

const (
	// cpuOther is any CPU not named below; it gets the blocking chosen
	// before the kinds existed.
	cpuOther cpuKind = iota
	// cpuZen4 is AMD family 0x19 with AVX-512 (Zen 4), and Zen 5 parts
	// with its 256-bit datapath: 512-bit operations run as two 256-bit
	// halves on two FMA pipes, 32 KiB L1d, 1 MiB L2.
	cpuZen4
	// cpuZen5 is AMD family 0x1A with the full 512-bit datapath (EPYC
	// 9005, Ryzen 9000): two 512-bit FMA pipes, 48 KiB L1d, 1 MiB L2.
	cpuZen5
	// cpuIntelServer is an Intel Xeon with AVX-512 and (on most of its
	// models) two 512-bit FMA units: Skylake-SP to Granite Rapids; 32 or
	// 48 KiB L1d, 1 to 2 MiB L2.
	cpuIntelServer
)

var cpuKindNames = [...]string{cpuOther: "other", cpuZen4: "Zen 4", cpuZen5: "Zen 5", cpuIntelServer: "Intel Xeon (AVX-512)"}

func (k cpuKind) String() string { return cpuKindNames[k] }

// cpuInfo is what CPUID says about the processor.
type cpuInfo struct {
	vendor        string // "AuthenticAMD", "GenuineIntel", "" when unknown
	brand         string // the processor brand string, trimmed
	family, model int    // display family and model (base plus extended)
	avx512        bool   // AVX-512 F and VL usable (CPU and OS)
	amx           bool   // AMX tiles (CPUID; whether Linux grants them is asked apart)
	kind          cpuKind
}

// classify names the kind of a processor from its vendor, display family
// and model, whether AVX-512 is usable and whether it has AMX. Intel's
// client cores with AVX-512 (Ice Lake, Tiger Lake, Rocket Lake: one
// 512-bit FMA unit) and every core without AVX-512 stay cpuOther. AMX is
// only on Xeons (Sapphire Rapids on), so it names one whatever the model
// says: a hypervisor may show another (this project's Intel VM reports
// model 0xA7, Rocket Lake's, with AMX and two 512-bit FMA units).
func classify(vendor string, family, model int, avx512, amx bool) cpuKind {
	if !avx512 {
		return cpuOther
	}
	switch {
	case vendor == "AuthenticAMD" && family == 0x19:
		return cpuZen4 // Zen 3 has no AVX-512, so this is Zen 4
	case vendor == "AuthenticAMD" && family == 0x1A:
		// Zen 5 mobile parts (Strix Point 0x20–0x2F, Krackan and Strix
		// Halo 0x60–0x7F) keep Zen 4's 256-bit datapath.
		if (model >= 0x20 && model <= 0x2F) || (model >= 0x60 && model <= 0x7F) {
			return cpuZen4
		}
		return cpuZen5
	case vendor == "GenuineIntel" && amx: // whatever the family: later Xeons may change it
		return cpuIntelServer
	case vendor == "GenuineIntel" && family == 6:
		switch model {
		case 0x55, // Skylake-SP, Cascade Lake, Cooper Lake
			0x6A, 0x6C, // Ice Lake-SP, -D
			0x8F,       // Sapphire Rapids
			0xCF,       // Emerald Rapids
			0xAD, 0xAE: // Granite Rapids
			return cpuIntelServer
		}
	}
	return cpuOther
}

// displayFamilyModel decodes CPUID leaf 1's EAX as both vendors' manuals
// define it: the extended family is added when the base family is 0xF, and
// the extended model is the high nibble when the family is 6 or 0xF.
func displayFamilyModel(eax uint32) (family, model int) {
	family = int(eax>>8) & 0xF
	model = int(eax>>4) & 0xF
	if family == 0xF {
		family += int(eax>>20) & 0xFF
	}
	if family == 0x6 || family >= 0xF {
		model |= int(eax>>16) & 0xF << 4
	}
	return family, model
}

// regString spells registers as CPUID's strings store them: four bytes
// each, least significant first.
func regString(regs ...uint32) string {
	b := make([]byte, 0, 4*len(regs))
	for _, r := range regs {
		b = append(b, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
	}
	return string(b)
}

// CPUName describes the processor this process runs on as the kernels see
// it, e.g. "AMD EPYC (AuthenticAMD family 0x1a model 0x02: Zen 5)"; the
// kind after the colon chose the GEMM blocking (GemmName).
func CPUName() string {
	c := thisCPU
	if c.vendor == "" {
		return "unknown (no CPUID in this build)"
	}
	brand := c.brand
	if brand == "" {
		brand = c.vendor
	}
	return fmt.Sprintf("%s (%s family %#02x model %#02x: %s)", brand, c.vendor, c.family, c.model, c.kind)
}

// GemmName names the GEMM implementation in use and its blocking, e.g.
// "avx512-zen5: tile 14×32, mc 168, kc 384, nc 1024". The same tile runs
// the convolutions.
func GemmName() string {
	k := active
	return fmt.Sprintf("%s: tile %d×%d, mc %d, kc %d, nc %d", k.name, k.mr, k.nr, k.mc, k.kc, k.nc)
}

// FMAPeak measures the single-precision fused-multiply-add peak of workers
// cores, in GFLOP/s (an FMA of n lanes counts 2n FLOPs): workers
// goroutines, each locked to its own thread and started together, run
// independent chains of VFMADD231PS of the widest vectors the GEMM uses
// here (512-bit with AVX-512, else 256-bit) for about 20 ms each, and their
// rates are summed; the best of five such runs is returned. Each rate is
// timed in its thread's CPU time where the OS reports it (Linux), so that
// time another process held the core is left out: on a shared machine the
// figure stays the hardware's rate, not the share the load leaves (two
// goroutines that share one core still halve each other's rate). It
// returns 0 where no assembly loop exists (other architectures, the purego
// build, CPUs without FMA).
func FMAPeak(workers int) float64 {
	if len(fmaLoops) == 0 || workers < 1 {
		return 0
	}
	l := fmaLoops[0]
	n := 1000
	for {
		if d := l.run(1, n); d >= 5*time.Millisecond {
			n = int(float64(n) * float64(20*time.Millisecond) / float64(d))
			break
		}
		n *= 4
	}
	best := 0.0
	for range 5 {
		best = max(best, l.rate(workers, n))
	}
	return best
}

// fmaLoop is one assembly loop of independent FMA chains (cpu_amd64.s).
type fmaLoop struct {
	name  string      // "zmm" or "ymm"
	loop  func(n int) // n iterations
	flops float64     // FLOPs per iteration
}

// gflops is the rate of workers cores that each ran n iterations in d.
func (l fmaLoop) gflops(workers, n int, d time.Duration) float64 {
	return float64(workers) * float64(n) * l.flops / d.Seconds() / 1e9
}

// rate runs n iterations of the loop on each of workers goroutines, each
// on its own thread, started together, and returns the sum of their
// GFLOP/s, each timed in its thread's CPU time where threadCPUTime can read
// it, else in wall time from its own start.
func (l fmaLoop) rate(workers, n int) float64 {
	rates := make([]float64, workers)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(workers)
	done.Add(workers)
	for i := range workers {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ready.Done()
			<-start
			c0, ok := threadCPUTime()
			w0 := time.Now()
			l.loop(n)
			d := time.Since(w0)
			if c1, ok1 := threadCPUTime(); ok && ok1 && c1 > c0 {
				d = c1 - c0
			}
			rates[i] = l.gflops(1, n, d)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	sum := 0.0
	for _, r := range rates {
		sum += r
	}
	return sum
}

// run times n iterations of the loop on each of workers goroutines,
// started together, until the last finishes, in wall time.
func (l fmaLoop) run(workers, n int) time.Duration {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(workers)
	done.Add(workers)
	for range workers {
		go func() {
			ready.Done()
			<-start
			l.loop(n)
			done.Done()
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	return time.Since(t0)
}
