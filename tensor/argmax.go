package tensor

// ArgMax returns, for each row of t (N, K), the index of its largest value
// (the first, on ties; the first NaN, if a row holds one, as ArgMaxRow):
// the predicted classes of a model's probabilities, as NumPy's
// np.argmax(p, axis=1).
func ArgMax(t *Tensor) []int {
	n := t.Dim(0)
	k := t.Len() / max(n, 1)
	out := make([]int, n)
	for i := range out {
		out[i] = ArgMaxRow(t.Data()[i*k : (i+1)*k])
	}
	return out
}

// ArgMaxRow is the index of the first largest value of row (0 if empty),
// NaN counting as larger than every number, as NumPy's and PyTorch's argmax
// count it: a row holding a NaN gives the index of its first NaN, whatever
// its numbers, so a model gone NaN is not scored on where its largest
// number happened to fall. +Inf beats every number but not NaN; a row of
// -Inf gives 0.
func ArgMaxRow(row []float32) int {
	if len(row) == 0 || row[0] != row[0] {
		return 0
	}
	// best is never NaN, so !(v <= best) is v > best or v NaN: one
	// comparison per element, as a plain argmax, and the rare winner
	// says which.
	j, best := 0, row[0]
	for i, v := range row {
		if !(v <= best) {
			if v != v {
				return i
			}
			j, best = i, v
		}
	}
	return j
}
