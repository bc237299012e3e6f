package kernel

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPUTime is the calling thread's CPU time (clock_gettime of
// CLOCK_THREAD_CPUTIME_ID), for timings that should leave out the time the
// thread was descheduled; ok is false if the clock cannot be read.
func threadCPUTime() (d time.Duration, ok bool) {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
