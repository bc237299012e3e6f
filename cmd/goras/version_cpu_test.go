package main

import (
	"strings"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
)

// goras version's second line names the CPU, the GEMM blocking chosen
// for it and the bfloat16 products' implementation, as package kernel
// reports them.
func TestVersionNamesCPU(t *testing.T) {
	r := cli(t, "version")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := "cpu: " + kernel.CPUName() + "; gemm: " + kernel.GemmName() + "; bf16: " + kernel.BF16Name()
	if r.code != 0 || len(lines) != 2 || lines[1] != want {
		t.Errorf("goras version: exit %d, stdout %q; want a second line %q", r.code, r.stdout, want)
	}
}
