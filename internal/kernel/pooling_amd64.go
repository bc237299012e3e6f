//go:build amd64 && !purego

package kernel

import (
	"sync"

	"golang.org/x/sys/cpu"
)

//go:generate sh -c "cd _asm && go run ./pooling -out ../pooling_amd64.s -stubs ../pooling_stub_amd64.go -pkg kernel"

// poolAVX says maxPool2x2Row8 (pooling_amd64.s, AVX2 integer adds) may run.
var poolAVX = cpu.X86.HasAVX2

// maxPoolRow does the first windows of one output row of MaxPool2x2 with
// the vector loop and returns how many: all ow when the channels fill
// whole vectors; otherwise all but the last, since each window's last
// vector spills into the next window's outputs (and reads as far into its
// cells), which only a following window makes good. When the spill would
// reach past the next window (c < 4) it does none.
func maxPoolRow(y []float32, arg []int32, x []float32, ow, c, rs, at0 int) int {
	n := rowWindows(ow, c)
	if n > 0 {
		maxPool2x2Row8(&y[0], &arg[0], &x[0], n, c, rs, at0)
	}
	return n
}

// rowWindows is how many windows of an output row of ow the vector loops
// do, under maxPoolRow's conditions: 0 when they cannot run.
func rowWindows(ow, c int) int {
	if !poolAVX || poolVecOff || (8-c%8)%8 > c {
		return 0
	}
	if c%8 != 0 {
		return max(ow-1, 0)
	}
	return ow
}

// maxPoolWinsRow is maxPoolRow for MaxPool2DWins: the first windows of
// one output row by maxPool2x2WinsRow8, under the same conditions, and
// how many. With spill, the next output row of the same sample follows
// in y and win (and its input rows in x) and is done next: the last
// window's spill into it is then rewritten, so the loop does every
// window (LeNet-5's six channels: 14 of 14 instead of 13, sparing the
// pure-Go loop a window per row).
func maxPoolWinsRow(y []float32, win []uint8, x []float32, ow, c, rs int, spill bool) int {
	n := rowWindows(ow, c)
	if spill && n > 0 && c%8 != 0 {
		n = ow
	}
	if n > 0 {
		maxPool2x2WinsRow8(&y[0], &win[0], &x[0], n, c, rs)
	}
	return n
}

// poolWinsAVX512 says maxPool2x2Wins16 and maxPool2x2WinsBack16
// (pooling_amd64.s) may run: they use AVX-512 F, BW and VL.
var poolWinsAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL

// winsTail is the lane mask of the last 16-channel block of a window of c
// channels.
func winsTail(c int) int {
	if c%16 == 0 {
		return 0xFFFF
	}
	return 1<<(c%16) - 1
}

// maxPoolWinsVec runs maxPoolWinsSample's loop, oh, ow ≥ 1, in assembly
// when it may, and says whether it did: with AVX-512, for any number of
// channels. Below 16 most lanes idle, and still the masked loop beats the
// 8-lane rows of maxPoolWinsRow, which it replaced there: at batch 128 on
// the Xeon, 28×28 inputs (`go test -run XXX -bench MaxPoolBackward
// -benchtime 50x`, ns/fwd-wins) of 6 channels (LeNet-5's) 248 → 54 µs, of
// 3 449 → 53 µs, of 1 330 → 103 µs.
func maxPoolWinsVec(y []float32, win []uint8, x []float32, oh, ow, c, rs int) bool {
	if !poolWinsAVX512 || poolVecOff || winsRowsOnly {
		return false
	}
	// The loop touches exactly the cells and outputs the slices' lengths
	// already cover (checked by the caller): the bounds below are its
	// extent, as a last line of defence.
	_, _, _ = y[oh*ow*c-1], win[oh*ow*c-1], x[(2*oh-1)*rs+2*ow*c-1]
	maxPool2x2Wins16(&y[0], &win[0], &x[0], oh, ow, c, rs, winsTail(c))
	return true
}

// maxPoolWinsBackVec runs maxPoolWinsBackSample's loop, oh, ow ≥ 1, in
// assembly when it may, and says whether it did; with set, the loop that
// sets every cell of every window instead of adding to the winners.
func maxPoolWinsBackVec(dx, dy []float32, win []uint8, oh, ow, c, rs int, set bool) bool {
	if !poolWinsAVX512 || poolVecOff {
		return false
	}
	_, _, _ = dy[oh*ow*c-1], win[oh*ow*c-1], dx[(2*oh-1)*rs+2*ow*c-1]
	switch {
	case c < 16 && set:
		t := narrowTable(c)
		maxPool2x2WinsSetNarrow(&dx[0], &dy[0], &win[0], oh, ow, c, rs, &t.tab[0], t.period)
	case c < 16:
		t := narrowTable(c)
		maxPool2x2WinsBackNarrow(&dx[0], &dy[0], &win[0], oh, ow, c, rs, &t.tab[0], t.period)
	case set:
		maxPool2x2WinsSet16(&dx[0], &dy[0], &win[0], oh, ow, c, rs, winsTail(c))
	default:
		maxPool2x2WinsBack16(&dx[0], &dy[0], &win[0], oh, ow, c, rs, winsTail(c))
	}
	return true
}

// narrowTab is maxPool2x2WinsBackNarrow's table for one channel count.
type narrowTab struct {
	once   sync.Once
	tab    []int32
	period int
}

// winsNarrow holds the table of each channel count below 16, made on first
// use.
var winsNarrow [16]narrowTab

// narrowTable returns the table for c channels, 1 ≤ c < 16: one record of
// 48 int32s per vector of a period, the vectors after which the lane
// pattern of a row of dx repeats (16·period values = lcm(16, 2c), that is
// 8·period values of dy). Lane l of vector v holds row value u = 16v + l,
// of window j = u / 2c and channel ch = u % 2c % c, so its gradient is
// dy[j·c + ch] and it is the window's right cell when u % 2c ≥ c. Record v
// holds the lanes' gradient indices relative to base = c·(16v / 2c), the
// first window's first gradient, then their positions, then base.
func narrowTable(c int) *narrowTab {
	t := &winsNarrow[c]
	t.once.Do(func() {
		l := 2 * c
		t.period = l / gcdInt(16, l)
		t.tab = make([]int32, 48*t.period)
		for v := range t.period {
			rec := t.tab[48*v : 48*(v+1)]
			base := c * (16 * v / l)
			for lane := range 16 {
				u := 16*v + lane
				idx := c*(u/l) + u%l%c - base
				if idx >= 32 {
					panic("kernel: narrowTable: a vector's gradients span more than 32 values") // cannot happen for c < 16
				}
				rec[lane], rec[16+lane] = int32(idx), int32(u%l/c)
			}
			rec[32] = int32(base)
		}
	})
	return t
}

func gcdInt(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
