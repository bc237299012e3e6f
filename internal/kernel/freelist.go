package kernel

import "sync"

// freeList is a stack of values kept for reuse behind a mutex: the GEMMs'
// workspaces and jobs, the convolutions' per-worker buffers, the pooling
// jobs and Parallel's calls. Free lists rather than sync.Pool, which
// empties at every GC, keep steady-state calls allocation-free.
type freeList[T any] struct {
	mu   sync.Mutex
	list []*T
	zero T // what putZeroed copies: a local zero T holding a 64-bit atomic is moved to the heap on 32-bit builds, for its alignment
}

// get takes a value off the list, or returns a new zero one when it is
// empty.
func (f *freeList[T]) get() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.list); n > 0 {
		x := f.list[n-1]
		f.list = f.list[:n-1]
		return x
	}
	return new(T)
}

// put puts x on the list, as it is: a workspace keeps its buffers.
func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	f.list = append(f.list, x)
	f.mu.Unlock()
}

// putZeroed zeroes x, dropping its references to the caller's slices (a
// job's operands), and puts it on the list.
func (f *freeList[T]) putZeroed(x *T) {
	*x = f.zero
	f.put(x)
}
