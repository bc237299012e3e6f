package kernel

// colSumsVecOff makes colSumsVec (colsums_amd64.go) leave every block to
// columnSums's AddTo loop, for the tests and benchmarks that hold the two
// against each other.
var colSumsVecOff bool
