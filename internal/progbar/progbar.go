package progbar

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"
)

// Width is the number of cells of the bar, as Keras's default width=20.
const Width = 20

// Interval is the minimum time between two redraws of an interactive bar,
// as Keras's default interval=0.05.
const Interval = 50 * time.Millisecond

// ANSI escape sequences used by Keras's bar.
const (
	bold  = "\x1b[1m"
	green = "\x1b[32m"
	white = "\x1b[37m"
	reset = "\x1b[0m"
	cell  = "━"
)

// Metric is one name: value pair shown after the time per step.
type Metric struct {
	Name  string
	Value float64
}

// Option changes a default of New.
type Option func(*Bar)

// WithClock makes the bar read the time from now instead of time.Now
// (default time.Now). Tests use it to get deterministic output.
func WithClock(now func() time.Time) Option {
	return func(b *Bar) { b.now = now }
}

// NoColor turns the ANSI colour and bold codes off on an interactive bar.
// Default: colour on when interactive, unless NO_COLOR is set and non-empty.
func NoColor() Option {
	return func(b *Bar) { b.color = false }
}

// Bar is the progress display of one epoch. Make it with New.
type Bar struct {
	w           io.Writer
	target      int // steps in the epoch; ≤ 0 means unknown
	verbose     int
	interactive bool
	color       bool
	now         func() time.Time

	start      time.Time // when the bar was made (Keras: epoch begin)
	lastDraw   time.Time
	drawn      bool      // lastDraw is valid
	afterFirst time.Time // when step 1 was reported
	haveFirst  bool      // afterFirst is valid
	seen       int       // last step passed to Update
	prevWidth  int       // visible width of the last interactive line
	finished   bool
	buf        []byte // reused line buffer
}

// New makes the bar of one epoch of target steps written to w (target ≤ 0:
// unknown, the counter then reads "step/Unknown" until Finish). verbose is 0
// (silent), 1 (bar) or 2 (one line at the end). interactive says that w is a
// terminal: verbose 1 then redraws one line in place, in colour; when it is
// false, verbose 1 prints the final line only. The clock starts now.
func New(w io.Writer, target, verbose int, interactive bool, opts ...Option) *Bar {
	b := &Bar{
		w:           w,
		target:      target,
		verbose:     verbose,
		interactive: interactive,
		color:       interactive && os.Getenv("NO_COLOR") == "",
		now:         time.Now,
	}
	for _, o := range opts {
		o(b)
	}
	b.start = b.now()
	return b
}

// Update reports that step (1-based) of the epoch is done; metrics are the
// values to show, normally the running means over the epoch so far. An
// interactive verbose-1 bar redraws at most once per Interval; otherwise
// Update only records the time. It does not allocate unless it redraws.
func (b *Bar) Update(step int, metrics []Metric) {
	if b.finished {
		return
	}
	b.seen = step
	// Keras's ProgbarLogger only updates the bar per batch at verbose 1.
	if b.verbose != 1 {
		return
	}
	now := b.now()
	perStep := b.stepDuration(step, now)
	if !b.interactive || (b.drawn && now.Sub(b.lastDraw) < Interval) {
		return
	}
	b.draw(step, b.target, perStep, now, metrics, false)
	b.lastDraw, b.drawn = now, true
}

// Finish ends the epoch: it prints the final line, with the elapsed time in
// place of the ETA and the given metrics (training then validation), and a
// newline. Later calls to Update and Finish do nothing.
func (b *Bar) Finish(metrics []Metric) {
	if b.finished {
		return
	}
	b.finished = true
	if b.verbose != 1 && b.verbose != 2 {
		return
	}
	target := b.target
	if target <= 0 { // unknown size: the epoch had as many steps as were seen
		target = b.seen
	}
	now := b.now()
	perStep := b.stepDuration(target, now)
	if b.verbose == 1 {
		b.draw(target, target, perStep, now, metrics, true)
		return
	}
	if target <= 0 { // Keras prints nothing at verbose 2 without a target
		return
	}
	buf := appendCount(b.buf[:0], target, target)
	buf = append(buf, " - "...)
	buf = strconv.AppendFloat(buf, now.Sub(b.start).Seconds(), 'f', 0, 64)
	buf = append(buf, "s -"...)
	buf = appendStepTime(buf, perStep)
	buf = appendMetrics(buf, metrics)
	buf = append(buf, '\n')
	b.buf = buf
	b.w.Write(buf)
}

// stepDuration estimates the seconds per step after step steps at now,
// leaving the first step out once there is a second one (Keras's
// _estimate_step_duration).
func (b *Bar) stepDuration(step int, now time.Time) float64 {
	if step == 0 {
		return 0
	}
	var perStep float64
	if b.haveFirst && step > 1 {
		perStep = now.Sub(b.afterFirst).Seconds() / float64(step-1)
	} else {
		perStep = now.Sub(b.start).Seconds() / float64(step)
	}
	if step == 1 {
		b.afterFirst, b.haveFirst = now, true
	}
	return perStep
}

// draw writes the verbose-1 line for step of target. Interactive lines start
// with "\r" and are padded with spaces to hide the end of a longer previous
// line; the final line ends with "\n".
func (b *Bar) draw(step, target int, perStep float64, now time.Time, metrics []Metric, final bool) {
	color := b.color
	buf := b.buf[:0]
	if b.interactive {
		buf = append(buf, '\r')
	}
	lineStart := len(buf)
	if target > 0 {
		buf = appendStyled(buf, color, bold)
		buf = appendCount(buf, step, target)
		buf = appendStyled(buf, color, reset)
		buf = append(buf, ' ')
		done := int(float64(Width) * (float64(step) / float64(target)))
		done = min(max(done, 0), Width)
		if done > 0 {
			buf = appendStyled(buf, color, green)
			buf = appendCells(buf, done)
			buf = appendStyled(buf, color, reset)
		}
		buf = appendStyled(buf, color, white)
		buf = appendCells(buf, Width-done)
		buf = appendStyled(buf, color, reset)
	} else {
		buf = appendPadded(buf, step, 7)
		buf = append(buf, "/Unknown"...)
	}
	buf = append(buf, ' ')
	buf = appendStyled(buf, color, bold)
	if target > 0 && !final {
		buf = appendETA(buf, perStep*float64(target-step))
	} else {
		buf = strconv.AppendFloat(buf, now.Sub(b.start).Seconds(), 'f', 0, 64)
		buf = append(buf, 's')
	}
	buf = appendStyled(buf, color, reset)
	buf = appendStepTime(buf, perStep)
	buf = appendMetrics(buf, metrics)
	if b.interactive {
		width := visibleWidth(buf[lineStart:])
		for i := width; i < b.prevWidth; i++ {
			buf = append(buf, ' ')
		}
		b.prevWidth = width
	}
	if final {
		buf = append(buf, '\n')
	}
	b.buf = buf
	b.w.Write(buf)
}

// IsTerminal reports whether f is a character device other than the null
// device, which is how a terminal (or a Windows console) looks to os.Stat.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}

// EpochHeader prints "Epoch epoch/epochs" (epoch is 1-based) on its own
// line when epochs > 1, as Keras does before each epoch's bar. Callers skip
// it at verbose 0.
func EpochHeader(w io.Writer, epoch, epochs int) {
	if epochs > 1 {
		fmt.Fprintf(w, "Epoch %d/%d\n", epoch, epochs)
	}
}

func appendStyled(buf []byte, color bool, code string) []byte {
	if color {
		buf = append(buf, code...)
	}
	return buf
}

func appendCells(buf []byte, n int) []byte {
	for range n {
		buf = append(buf, cell...)
	}
	return buf
}

// appendCount appends "step/target" with step right-aligned to the digits
// of target.
func appendCount(buf []byte, step, target int) []byte {
	buf = appendPadded(buf, step, digits(target))
	buf = append(buf, '/')
	return strconv.AppendInt(buf, int64(target), 10)
}

// appendPadded appends n right-aligned in width columns (Python's "%*d").
func appendPadded(buf []byte, n, width int) []byte {
	for i := digits(n); i < width; i++ {
		buf = append(buf, ' ')
	}
	return strconv.AppendInt(buf, int64(n), 10)
}

// digits is the number of characters of n in base 10, sign included.
func digits(n int) int {
	d := 1
	if n < 0 {
		d++
	}
	for n >= 10 || n <= -10 {
		n /= 10
		d++
	}
	return d
}

// appendETA appends the remaining time as "45s", "2:05" or "1:02:05"
// (Keras switches format strictly above 60 s and 3600 s and truncates).
func appendETA(buf []byte, eta float64) []byte {
	s := int64(eta)
	switch {
	case eta > 3600:
		buf = strconv.AppendInt(buf, s/3600, 10)
		buf = append2(append(buf, ':'), s%3600/60)
		return append2(append(buf, ':'), s%60)
	case eta > 60:
		buf = strconv.AppendInt(buf, s/60, 10)
		return append2(append(buf, ':'), s%60)
	default:
		return append(strconv.AppendInt(buf, s, 10), 's')
	}
}

// append2 appends n with at least two digits ("%02d").
func append2(buf []byte, n int64) []byte {
	if n >= 0 && n < 10 {
		buf = append(buf, '0')
	}
	return strconv.AppendInt(buf, n, 10)
}

// appendStepTime appends " 3s/step", " 4ms/step" or " 250us/step"
// (Keras's _format_time; zero prints as " 0s/step").
func appendStepTime(buf []byte, sec float64) []byte {
	buf = append(buf, ' ')
	switch {
	case sec >= 1 || sec == 0:
		buf = strconv.AppendFloat(buf, sec, 'f', 0, 64)
		buf = append(buf, 's')
	case sec >= 1e-3:
		buf = strconv.AppendFloat(buf, sec*1000, 'f', 0, 64)
		buf = append(buf, "ms"...)
	default:
		buf = strconv.AppendFloat(buf, sec*1e6, 'f', 0, 64)
		buf = append(buf, "us"...)
	}
	return append(buf, "/step"...)
}

func appendMetrics(buf []byte, metrics []Metric) []byte {
	for _, m := range metrics {
		buf = append(buf, " - "...)
		buf = append(buf, m.Name...)
		buf = append(buf, ": "...)
		buf = appendValue(buf, m.Value)
	}
	return buf
}

// appendValue formats a metric as Keras does: %.4f when |v| > 1e-3, else
// %.4e (so 0 is 0.0000e+00); NaN and infinities as Python spells them.
func appendValue(buf []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(buf, "nan"...)
	case math.IsInf(v, 1):
		return append(buf, "inf"...)
	case math.IsInf(v, -1):
		return append(buf, "-inf"...)
	case math.Abs(v) > 1e-3:
		return strconv.AppendFloat(buf, v, 'f', 4, 64)
	default:
		return strconv.AppendFloat(buf, v, 'e', 4, 64)
	}
}

// visibleWidth counts the characters of line a terminal shows: runes,
// minus the ANSI "ESC [ … letter" sequences.
func visibleWidth(line []byte) int {
	n := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == 0x1b && i+1 < len(line) && line[i+1] == '[':
			i += 2
			for i < len(line) && (line[i] < 0x40 || line[i] > 0x7e) {
				i++
			}
		case c&0xc0 != 0x80: // not a UTF-8 continuation byte
			n++
		}
	}
	return n
}
