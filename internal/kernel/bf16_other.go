//go:build !amd64 || purego

package kernel

// Without the assembly, the pure-Go bfloat16 kernel (genericBF16) does all
// the work.
