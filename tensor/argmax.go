package tensor

// ArgMax returns, for each row of t (N, K), the index of its largest value
// (the first, on ties): the predicted classes of a model's probabilities.
func ArgMax(t *Tensor) []int {
	n := t.Dim(0)
	k := t.Len() / max(n, 1)
	out := make([]int, n)
	for i := range out {
		out[i] = ArgMaxRow(t.Data()[i*k : (i+1)*k])
	}
	return out
}

// ArgMaxRow is the index of the first largest value of row (0 if empty).
func ArgMaxRow(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}
