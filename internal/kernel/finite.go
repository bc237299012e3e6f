package kernel

import "unsafe"

// FirstNonFinite returns the index of the first NaN or ±Inf in x, or -1
// when every value is finite. It reads the bits, eight values at a time: a
// float32 is not finite exactly when its exponent field is all ones, and
// then adding one to that field carries into the sign bit's place.
func FirstNonFinite(x []float32) int {
	u := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
	const exp, one = 0x7f800000, 0x00800000
	i := 0
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
