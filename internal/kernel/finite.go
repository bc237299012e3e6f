package kernel

import "unsafe"

// FirstNonFinite returns the index of the first NaN or ±Inf in x, or -1
// when every value is finite. With AVX it finds the first block of 32
// values holding one (nonFiniteVec, about 16 values a cycle from cache),
// and the bit loop below places it in the block.
func FirstNonFinite(x []float32) int {
	from := 0
	if useSIMD && len(x) >= 32 {
		n := len(x) &^ 31
		from = nonFiniteVec(&x[0], n)
	}
	return firstNonFiniteGeneric(x, from)
}

// firstNonFiniteGeneric is FirstNonFinite's reference, from index from
// on. It reads the bits, eight values at a time: a float32 is not finite
// exactly when its exponent field is all ones, and then adding one to that
// field carries into the sign bit's place.
func firstNonFiniteGeneric(x []float32, from int) int {
	u := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
	const exp, one = 0x7f800000, 0x00800000
	i := from
	for ; i+8 <= len(u); i += 8 {
		a := u[i : i+8 : i+8]
		acc := (a[0]&exp + one) | (a[1]&exp + one) | (a[2]&exp + one) | (a[3]&exp + one) |
			(a[4]&exp + one) | (a[5]&exp + one) | (a[6]&exp + one) | (a[7]&exp + one)
		if acc&0x80000000 != 0 {
			break
		}
	}
	for ; i < len(u); i++ {
		if (u[i]&exp+one)&0x80000000 != 0 {
			return i
		}
	}
	return -1
}
