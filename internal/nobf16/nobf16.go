// Package nobf16 lets a test run again as on a CPU without fast bfloat16
// products (no AVX512_BF16, no AMX), where mixed_bfloat16 falls back to
// float32: the test runs itself in a child process whose GODEBUG turns
// those instructions off.
//
//	func TestX(t *testing.T) {
//		if nobf16.Inside() {
//			if nobf16.StillFast() { return }
//			... // print what the parent checks
//			return
//		}
//		out := nobf16.Run(t, "TestX") // skips t where GODEBUG cannot turn them off
//		... // check out
//	}
package nobf16

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
)

const (
	env     = "GORAS_TEST_NO_BF16"
	godebug = "GODEBUG=cpu.avx512bf16=off,cpu.amxtile=off,cpu.amxbf16=off"
	fast    = "nobf16: bfloat16 products still fast"
)

// Inside reports whether this process is the child Run started.
func Inside() bool { return os.Getenv(env) == "1" }

// StillFast, in the child, reports whether bfloat16 products are fast
// here all the same (a purego build, another architecture), saying so
// for Run to skip the parent test; the child then has nothing to check.
func StillFast() bool {
	if !kernel.BF16Available() {
		return false
	}
	fmt.Println(fast)
	return true
}

// Run runs test (its name, alone) again in a child process without fast
// bfloat16 products and returns what it printed. It fails t if the child
// fails, and skips t if the child still has them.
func Run(t *testing.T, test string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"=1", godebug)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s without fast bfloat16 products: %v: %s", test, err, out)
	}
	if strings.Contains(string(out), fast) {
		t.Skip("GODEBUG does not turn bfloat16 products off here (purego or another architecture)")
	}
	return string(out)
}
