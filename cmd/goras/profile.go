package main

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"

	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/spf13/cobra"
)

// profileExts are the names --cpuprofile and --memprofile take: pprof's
// own, and what `go test -cpuprofile` users write.
var profileExts = []string{".pprof", ".prof", ".out"}

// profiles are goras --cpuprofile FILE and --memprofile FILE: Go's CPU
// profile of the whole command and its memory-allocation profile, for `go
// tool pprof FILE`, as `go test -cpuprofile -memprofile` makes them of a
// test. They are how the speed and memory notes of bench/ and
// internal/kernel/BENCH.md find where a training run spends its time and
// its memory.
//
// Both are written atomically when the command ends, whether it
// succeeded, failed or was interrupted (the profile of a run stopped with
// Ctrl-C is still the profile of what it did); their paths are checked
// before the command starts. The CPU profile is gathered in memory until
// then.
type profiles struct {
	cpu, mem string
	cpuBuf   bytes.Buffer
	started  bool // the paths passed their checks
	on       bool // the CPU profile runs
}

// addProfileFlags adds --cpuprofile and --memprofile to root, for every
// subcommand, and starts the CPU profile once the flags are parsed.
func addProfileFlags(root *cobra.Command, p *profiles) {
	fl := root.PersistentFlags()
	fl.StringVar(&p.cpu, "cpuprofile", "", "write Go's CPU profile of the whole command to `FILE` ("+orList(profileExts)+"),\nfor go tool pprof FILE; written when the command ends, even interrupted")
	fl.StringVar(&p.mem, "memprofile", "", "write Go's memory-allocation profile of the whole command to `FILE`\n("+orList(profileExts)+"), for go tool pprof FILE; written when the command ends")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return p.start() }
}

// start checks the paths and starts the CPU profile, if asked.
func (p *profiles) start() error {
	for _, c := range []struct{ flag, path string }{{"--cpuprofile", p.cpu}, {"--memprofile", p.mem}} {
		if c.path == "" {
			continue
		}
		if err := checkOutput(c.flag, c.path, false, profileExts...); err != nil {
			return err
		}
	}
	if err := checkDistinct("--cpuprofile", p.cpu, "--memprofile", p.mem); err != nil {
		return err
	}
	p.started = true
	if p.cpu == "" {
		return nil
	}
	if err := pprof.StartCPUProfile(&p.cpuBuf); err != nil {
		return fmt.Errorf("--cpuprofile %s: %w", p.cpu, err)
	}
	p.on = true
	return nil
}

// stop ends the CPU profile, if one runs, and writes the profiles asked
// for; err is the command's own error, which stays the one returned when
// both fail (the profiles' errors are then printed on log).
func (p *profiles) stop(err error, log io.Writer) error {
	var werrs []error
	if p.on {
		pprof.StopCPUProfile()
		p.on = false
		werrs = append(werrs, writeProfile(log, "--cpuprofile", p.cpu, "CPU profile", func(w io.Writer) error {
			_, err := w.Write(p.cpuBuf.Bytes())
			return err
		}))
	}
	if p.mem != "" && p.started {
		runtime.GC() // the profile's in-use figures as of the last collection: this one
		werrs = append(werrs, writeProfile(log, "--memprofile", p.mem, "memory-allocation profile", func(w io.Writer) error {
			return pprof.Lookup("allocs").WriteTo(w, 0)
		}))
	}
	for _, werr := range werrs {
		switch {
		case werr == nil:
		case err == nil:
			err = werr
		default:
			fmt.Fprintln(log, "goras:", werr)
		}
	}
	return err
}

// writeProfile writes one profile to path atomically and says so on log.
func writeProfile(log io.Writer, flag, path, what string, body func(io.Writer) error) error {
	err := writeOutput(flag, path, false, func() error { return atomicfile.Write(path, body) })
	if err == nil {
		fmt.Fprintf(log, "goras: wrote the %s to %s (go tool pprof %s)\n", what, path, path)
	}
	return err
}
