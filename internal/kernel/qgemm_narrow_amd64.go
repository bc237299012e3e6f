//go:build amd64 && !purego

package kernel

// qNarrow does the first rows of QGemmU8 with the qNarrow{n} kernels when
// they apply, and returns how many (a multiple of 16): a matrix of at most
// 8 columns written with ldd = n, whose rows are at most 7 bytes apart (a
// convolution's first layers, whose few channels would otherwise fill a
// sixteenth to a half of each vector). The rest of the rows go through
// the tiles.
func qNarrow(dst []uint8, ldd int, a []uint8, lda int, offs []int, b *QMatrix, m int, scale, offset []float32, lo float32) int {
	n := b.n
	if !qVec || qVecOff || b.narrow == nil || ldd != n || lda > 7 || m < 16 {
		return 0
	}
	need := 15*lda + 4
	mask1, mask2 := lowBits(min(need, 64)), lowBits(max(need-64, 0))
	nbMax := min(4, 24/n)
	rows := m / 16 * 16
	for r := 0; r < rows; {
		nb := min(nbMax, (rows-r)/16)
		qNarrowAsm(n, &a[r*lda], lda, &offs[0], b.taps, b.groups, &b.narrow[0], &dst[r*ldd], nb, &scale[0], &offset[0], lo, &narrowIn[lda][0], &narrowOut[n][0], mask1, mask2)
		r += 16 * nb
	}
	return rows
}

// narrowIn[lda] and narrowOut[n] are the byte permutations of qNarrow{n}:
// lane l of a block takes its row's dword, bytes l·lda… of the block's
// 15·lda + 4 (read as two masked 64-byte loads); output byte r·n + j of a
// block is column j's byte r in the table of 16-byte columns.
var narrowIn, narrowOut = func() (in, out [9][128]uint8) {
	for k := 1; k <= 8; k++ {
		for l := 0; l < 16; l++ {
			for e := 0; e < 4; e++ {
				in[k][4*l+e] = uint8(l*k + e)
			}
		}
		for o := 0; o < 16*k; o++ {
			out[k][o] = uint8(16*(o%k) + o/k)
		}
	}
	return in, out
}()

func lowBits(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return uint64(1)<<n - 1
}

func qNarrowAsm(n int, a *uint8, lda int, offs *int, taps, groups int, w *int8, dst *uint8, blocks int, scale, offset *float32, lo float32, in, out *uint8, mask1, mask2 uint64) {
	switch n {
	case 1:
		qNarrow1(a, lda, offs, taps, groups, w, dst, blocks, scale, offset, lo, in, out, mask1, mask2)
	case 2:
		qNarrow2(a, lda, offs, taps, groups, w, dst, blocks, scale, offset, lo, in, out, mask1, mask2)
	case 3:
		qNarrow3(a, lda, offs, taps, groups, w, dst, blocks, scale, offset, lo, in, out, mask1, mask2)
	case 4:
		qNarrow4(a, lda, offs, taps, groups, w, dst, blocks, scale, offset, lo, in, out, mask1, mask2)
	case 5:
		qNarrow5(a, lda, offs, taps, groups, w, dst, blocks, scale, offset, lo, in, out, mask1, mask2)
	case 6:
		qNarrow6(a, lda, offs, taps, groups, w, dst, blocks, scale, offset, lo, in, out, mask1, mask2)
	case 7:
		qNarrow7(a, lda, offs, taps, groups, w, dst, blocks, scale, offset, lo, in, out, mask1, mask2)
	default:
		qNarrow8(a, lda, offs, taps, groups, w, dst, blocks, scale, offset, lo, in, out, mask1, mask2)
	}
}
