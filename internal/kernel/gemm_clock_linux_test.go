package kernel

import (
	"syscall"
	"time"
	"unsafe"
)

// threadTime is the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID):
// on a machine shared with other jobs it leaves out the time this thread
// was descheduled, which wall time would count as the kernel's.
func threadTime() (time.Duration, bool) {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
