package kernel

import "fmt"

// col2imVecOff makes Col2im skip the assembly loop, so that tests can
// hold it against the pure-Go one.
var col2imVecOff bool

// col2imRows adds rows×n window rows of rowLen values: for each row r < rows
// and each window t < n in turn,
//
//	dst[r·drs + t·dstep:][:rowLen] += src[r·srs + t·sstep:][:rowLen]
//
// The windows of one row overlap in dst when dstep < rowLen; every dst
// value receives its additions in the order written, whichever loop runs,
// so the sums are the same bits. This is Col2im's interior: the windows of
// a run of output columns, on the dx rows of consecutive kernel rows.
func col2imRows(dst, src []float32, dstep, sstep, rowLen, n, rows, drs, srs int) {
	if rowLen < 1 || n < 1 || rows < 1 { // no channels: nothing to add
		return
	}
	if dstep < 1 { // windows on one place: the vector loop would not advance
		col2imRowsGeneric(dst, src, dstep, sstep, rowLen, n, rows, drs, srs)
		return
	}
	span := (n-1)*dstep + rowLen
	if len(dst) < (rows-1)*drs+span || len(src) < (rows-1)*srs+(n-1)*sstep+rowLen {
		panic(fmt.Sprintf("kernel: col2imRows: dst has %d elements, src %d; want %d and %d",
			len(dst), len(src), (rows-1)*drs+span, (rows-1)*srs+(n-1)*sstep+rowLen))
	}
	if col2imVec(dst, src, dstep, sstep, rowLen, n, rows, drs, srs) {
		return
	}
	col2imRowsGeneric(dst, src, dstep, sstep, rowLen, n, rows, drs, srs)
}

// col2imRowsGeneric is col2imRows one window row at a time, the loop
// Col2im has always run (and the reference of the assembly).
func col2imRowsGeneric(dst, src []float32, dstep, sstep, rowLen, n, rows, drs, srs int) {
	for r := 0; r < rows; r++ {
		d, s := dst[r*drs:], src[r*srs:]
		for t := 0; t < n; t++ {
			AddTo(d[t*dstep:][:rowLen], s[t*sstep:][:rowLen])
		}
	}
}
