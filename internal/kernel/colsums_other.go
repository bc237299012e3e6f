//go:build !amd64 || purego

package kernel

// colSumsVec is the assembly loop of columnSums where there is none: it
// consumes nothing and leaves the blocks to AddTo.
func colSumsVec(acc, src []float32) int { return 0 }
