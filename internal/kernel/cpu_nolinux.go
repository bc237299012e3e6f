//go:build !linux

package kernel

import "time"

// threadCPUTime: only Linux's clock is read; elsewhere callers fall back on
// wall time.
func threadCPUTime() (time.Duration, bool) { return 0, false }
