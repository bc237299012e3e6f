package main

import (
	"bytes"
	"fmt"
	"io"
	"runtime/pprof"

	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/spf13/cobra"
)

// profileExts are the names --cpuprofile takes: pprof's own, and what `go
// test -cpuprofile` users write.
var profileExts = []string{".pprof", ".prof", ".out"}

// cpuProfile is goras --cpuprofile FILE: Go's CPU profile of the whole
// command, for `go tool pprof FILE`, as `go test -cpuprofile` makes one of
// a test. It is how the speed notes of bench/ and internal/kernel/BENCH.md
// find where a training run spends its time.
//
// The profile is gathered in memory and written atomically when the command
// ends, whether it succeeded, failed or was interrupted (the profile of a
// run stopped with Ctrl-C is still the profile of what it did); the path is
// checked before the command starts.
type cpuProfile struct {
	path string
	buf  bytes.Buffer
	on   bool
}

// addProfileFlag adds --cpuprofile to root, for every subcommand, and
// starts the profile once the flags are parsed.
func addProfileFlag(root *cobra.Command, p *cpuProfile) {
	root.PersistentFlags().StringVar(&p.path, "cpuprofile", "", "write Go's CPU profile of the whole command to `FILE` ("+orList(profileExts)+"),\nfor go tool pprof FILE; written when the command ends, even interrupted")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return p.start() }
}

// start checks the path and starts profiling, if asked.
func (p *cpuProfile) start() error {
	if p.path == "" {
		return nil
	}
	if err := checkOutput("--cpuprofile", p.path, false, profileExts...); err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(&p.buf); err != nil {
		return fmt.Errorf("--cpuprofile %s: %w", p.path, err)
	}
	p.on = true
	return nil
}

// stop ends the profile, if one runs, and writes it; err is the command's
// own error, which stays the one returned when both fail.
func (p *cpuProfile) stop(err error, log io.Writer) error {
	if !p.on {
		return err
	}
	pprof.StopCPUProfile()
	p.on = false
	werr := writeOutput("--cpuprofile", p.path, false, func() error {
		return atomicfile.Write(p.path, func(w io.Writer) error {
			_, err := w.Write(p.buf.Bytes())
			return err
		})
	})
	if werr != nil {
		if err != nil {
			fmt.Fprintln(log, "goras:", werr)
			return err
		}
		return werr
	}
	fmt.Fprintf(log, "goras: wrote the CPU profile to %s (go tool pprof %s)\n", p.path, p.path)
	return err
}
