package kernel

// maskRowsVecOff makes maskRowsVec (gradrows_amd64.go) decline, so that
// padGrad lays its rows out one by one; for the tests and benchmarks that
// hold the two against each other.
var maskRowsVecOff bool
