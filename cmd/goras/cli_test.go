package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The harness the tests of the goras command share: running it in-process
// (cli, runArgs, cliOK, wantFail), resolving train's flags without
// training (resolveArgs), reading the final test line (scores), and
// skipping what trains on real MNIST under -short (skipShort).

// result is what one in-process run of the goras command printed.
type result struct {
	code           int
	stdout, stderr string
}

func runArgs(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// cancelOn is a writer that cancels a context when a line containing key is
// written to it, standing in for a Ctrl-C at that moment.
type cancelOn struct {
	bytes.Buffer
	key    string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(w.key)) {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

func cli(t *testing.T, args ...string) result {
	t.Helper()
	return runArgs(t, context.Background(), args...)
}

// mustOK fails the test unless the run exited 0.
func mustOK(t *testing.T, r result, args ...string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("goras %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
}

func cliOK(t *testing.T, args ...string) result {
	t.Helper()
	r := cli(t, args...)
	mustOK(t, r, args...)
	return r
}

// wantFail runs goras with args and checks it exits 1 with want on stderr
// and nothing on stdout.
func wantFail(t *testing.T, want string, args ...string) result {
	t.Helper()
	r := cli(t, args...)
	if r.code != 1 || !strings.Contains(r.stderr, want) || r.stdout != "" {
		t.Errorf("goras %s: exit %d, stdout %q, stderr %q; want exit 1, no stdout and %q", strings.Join(args, " "), r.code, r.stdout, r.stderr, want)
	}
	return r
}

// resolveArgs parses train flags and resolves them without training.
func resolveArgs(t *testing.T, args ...string) *recipe {
	t.Helper()
	cmd, f := newTrainCmdFlags()
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	r, err := f.resolve(cmd.Flags().Changed)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return r
}

var finalLine = regexp.MustCompile(`^test_loss: (\d+\.\d{4}) - test_accuracy: (\d\.\d{4})$`)

// scores checks that stdout ends with exactly one final line and returns
// its numbers.
func scores(t *testing.T, stdout string) (loss, acc float64) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	m := finalLine.FindStringSubmatch(lines[len(lines)-1])
	if m == nil || strings.Count(stdout, "test_loss:") != 1 {
		t.Fatalf("stdout does not end with one line \"test_loss: X - test_accuracy: Y\":\n%s", stdout)
	}
	loss, _ = strconv.ParseFloat(m[1], 64)
	acc, _ = strconv.ParseFloat(m[2], 64)
	return loss, acc
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real MNIST; skipped with -short")
	}
}
