package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// readProfile reads a CPU profile in pprof's format (gzipped
// perftools.profiles.Profile) and returns its sample count (the first value
// of every sample, summed) and its string table, where the functions'
// names are.
func readProfile(t *testing.T, path string) (samples int64, strs []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not gzipped: %v", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("%s: bad tag: %v", path, protowire.ParseError(n))
		}
		b = b[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			b = b[max(n, 0):]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			t.Fatalf("%s: bad field %d: %v", path, num, protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case 2: // Sample: its values (field 2, packed), the count first
			samples += firstValue(t, v)
		case 6: // the string table
			strs = append(strs, string(v))
		}
	}
	return samples, strs
}

// firstValue is a Sample's first value (field 2, packed or not).
func firstValue(t *testing.T, s []byte) int64 {
	t.Helper()
	for len(s) > 0 {
		num, typ, n := protowire.ConsumeTag(s)
		if n < 0 {
			t.Fatal("bad sample")
		}
		s = s[n:]
		if num == 2 && typ == protowire.BytesType { // packed
			packed, _ := protowire.ConsumeBytes(s)
			v, _ := protowire.ConsumeVarint(packed)
			return int64(v)
		}
		if num == 2 && typ == protowire.VarintType { // runtime/pprof's form for two values or fewer
			v, _ := protowire.ConsumeVarint(s)
			return int64(v)
		}
		n = protowire.ConsumeFieldValue(num, typ, s)
		if n < 0 {
			t.Fatal("bad sample field")
		}
		s = s[n:]
	}
	return 0
}

// hasPrefix reports whether one of strs starts with prefix.
func hasPrefix(strs []string, prefix string) bool {
	for _, s := range strs {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// goras --cpuprofile and --memprofile write the profiles of a training run:
// samples, in goras's own kernels and layers, for go tool pprof.
func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "shapes")
	shapesFolder(t, data, 100)
	prof, mem := filepath.Join(dir, "train.pprof"), filepath.Join(dir, "mem.out")
	r := cli(t, "--cpuprofile", prof, "--memprofile", mem, "train", "--data", data, "--image-size", "16,16", "--model", "lenet5",
		"--epochs", "40", "--batch-size", "8", "--verbose", "0")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	if want := "goras: wrote the CPU profile to " + prof + " (go tool pprof " + prof + ")\n" +
		"goras: wrote the memory-allocation profile to " + mem + " (go tool pprof " + mem + ")\n"; !strings.HasSuffix(r.stderr, want) {
		t.Errorf("stderr does not end with %q:\n%s", want, r.stderr)
	}
	for _, c := range []struct {
		path string
		fns  []string
	}{
		{prof, []string{"github.com/goras-ml/goras/internal/kernel.", "github.com/goras-ml/goras.(*Model).Fit"}},
		// The allocations: the pictures read from the folder, at least.
		{mem, []string{"github.com/goras-ml/goras/"}},
	} {
		samples, strs := readProfile(t, c.path)
		if samples < 1 {
			t.Errorf("%s holds %d samples", c.path, samples)
		}
		for _, fn := range c.fns {
			if !hasPrefix(strs, fn) {
				t.Errorf("%s names no function %s…", c.path, fn)
			}
		}
	}
}

// A run stopped by Ctrl-C still leaves its profile; a path that cannot be
// written stops the command before it starts, and nothing is written.
func TestProfilesInterruptedAndBadPaths(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "shapes")
	shapesFolder(t, data, 60)
	prof := filepath.Join(dir, "stopped.prof")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOn{key: "Epoch 60/", cancel: cancel}
	var errOut bytes.Buffer
	code := run(ctx, []string{"--cpuprofile", prof, "train", "--data", data, "--image-size", "16,16", "--epochs", "100", "--batch-size", "8", "--model", "lenet5", "--verbose", "2"}, out, &errOut)
	if code != 130 || !strings.Contains(errOut.String(), "wrote the CPU profile to "+prof) {
		t.Fatalf("exit %d, want 130 with the profile written\nstderr:\n%s", code, errOut.String())
	}
	if _, strs := readProfile(t, prof); !hasPrefix(strs, "github.com/goras-ml/goras") {
		t.Errorf("the interrupted run's profile names no goras function")
	}

	// A fixed recipe takes it too: the only flag refused here is --epochs.
	r := cli(t, "--cpuprofile", filepath.Join(dir, "best.pprof"), "train", "--model", "best", "--epochs", "3")
	if want := "does not take --epochs; it takes"; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("--model best --epochs 3 with --cpuprofile: exit %d, want 1 and %q\nstderr:\n%s", r.code, want, r.stderr)
	}

	same := filepath.Join(dir, "both.pprof")
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--cpuprofile", filepath.Join(dir, "no-such-dir", "p.pprof")}, "--cpuprofile " + filepath.Join(dir, "no-such-dir", "p.pprof")},
		{[]string{"--memprofile", filepath.Join(dir, "no-such-dir", "p.pprof")}, "--memprofile " + filepath.Join(dir, "no-such-dir", "p.pprof")},
		{[]string{"--cpuprofile", filepath.Join(dir, "p.png")}, "the file name must end in .pprof, .prof or .out"},
		{[]string{"--memprofile", dir}, "is a directory"},
		{[]string{"--cpuprofile", same, "--memprofile", same}, "both name " + same + "; give each its own file"},
		{[]string{"--cpuprofile", same, "--memprofile", dir + "/./both.pprof"}, "both name " + dir + "/./both.pprof; give each its own file"},
	} {
		r := cli(t, append(c.flags, "train", "--data", data, "--image-size", "16,16", "--epochs", "1")...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "training on") || strings.Contains(r.stderr, "wrote the") {
			t.Errorf("%q: exit %d, want 1 and %q before training, no profile written\nstderr:\n%s", c.flags, r.code, c.want, r.stderr)
		}
	}
}
