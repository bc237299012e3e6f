//go:build unix

package studio

import "syscall"

// metaOpenFlags open run.json without blocking: a named pipe swapped in
// after readMeta looked at the file would otherwise hold the open until
// some process wrote to it, before the check that refuses it.
const metaOpenFlags = syscall.O_RDONLY | syscall.O_NONBLOCK
