//go:build amd64 && !linux && !purego

package kernel

// amxPermit: only Linux's way of asking for the AMX state is written.
func amxPermit() bool { return false }
