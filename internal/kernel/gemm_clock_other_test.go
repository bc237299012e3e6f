//go:build !linux

package kernel

import "time"

// threadTime: only Linux's is read; elsewhere the benchmarks use wall time.
func threadTime() (time.Duration, bool) { return 0, false }
