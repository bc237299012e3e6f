package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/spf13/cobra"
)

// versionString is goras.Version, the version written into model files,
// then in parentheses what the build recorded: the module version when it
// says another (a tagged `go install`), the VCS revision, and the Go
// toolchain and platform.
func versionString() string {
	var build []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" && strings.TrimPrefix(v, "v") != goras.Version {
			build = append(build, "module "+v)
		}
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "+dirty"
			}
			build = append(build, "revision "+rev)
		}
	}
	build = append(build, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("%s (%s)", goras.Version, strings.Join(build, ", "))
}

// cpuLine names the processor as the kernels classified it, the GEMM
// blocking chosen for it (the same tile runs the convolutions) and what
// runs mixed_bfloat16's products, so that a benchmark figure can be read
// against the CPU and code that produced it.
func cpuLine() string {
	return fmt.Sprintf("cpu: %s; gemm: %s; bf16: %s", kernel.CPUName(), kernel.GemmName(), kernel.BF16Name())
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the goras version (goras.Version), its build, Go version and platform, then the CPU and GEMM kernel in use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "goras %s\n%s\n", versionString(), cpuLine())
			return err
		},
	}
}
