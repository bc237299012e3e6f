package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
)

// The tests of goras version and --version.

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := cli(t, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "goras ") || !strings.Contains(r.stdout, runtime.Version()) {
			t.Errorf("goras %v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

// goras version and --version print goras.Version, the version model files
// carry.
func TestVersionIsGorasVersion(t *testing.T) {
	for _, c := range []struct{ args, prefix string }{{"version", "goras " + goras.Version + " ("}, {"--version", "goras version " + goras.Version + " ("}} {
		r := cli(t, c.args)
		if r.code != 0 || !strings.HasPrefix(r.stdout, c.prefix) {
			t.Errorf("goras %s: exit %d, %q; want it to start with %q", c.args, r.code, r.stdout, c.prefix)
		}
	}
}
