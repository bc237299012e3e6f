package kernel

// biasReLUVecOff makes biasReLUVec (biasrelu_amd64.go) decline, so that
// biasAct adds the bias and applies the ReLU as separate passes; for the
// tests and benchmarks that hold the two against each other.
var biasReLUVecOff bool
