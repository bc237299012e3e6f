//go:build !amd64 || purego

package kernel

// biasReLUVec is biasAct's assembly loop where there is none: it does
// nothing and says so.
func biasReLUVec(y, rep []float32) bool { return false }
