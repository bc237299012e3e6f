package plot

import (
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
)

// Limits that keep drawing bounded for any history, however odd.
const (
	// maxValue is the largest magnitude drawn: goras logs float32 values,
	// so anything beyond float32's range (±3.4e38) cannot be a real
	// loss or score. Such values are left out, like NaN and ±Inf.
	maxValue = math.MaxFloat32
	// maxTicks bounds the ticks of any axis.
	maxTicks = 40
)

// drawable reports whether a logged value can be drawn.
func drawable(v float64) bool { return !math.IsNaN(v) && math.Abs(v) <= maxValue }

// epochTicks puts ticks on whole epochs only, about 10 of them, at steps of
// 1, 2 or 5 times a power of ten, plus epoch 1 when it is shown. The work
// is bounded whatever the range: ticks are counted, not walked to.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []gplot.Tick {
	lo, hi = math.Ceil(lo), math.Floor(hi)
	if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	step := niceStep((hi - lo) / 10)
	first := math.Ceil(lo/step) * step
	var ticks []gplot.Tick
	if step > 1 && lo <= 1 && 1 < first {
		ticks = append(ticks, gplot.Tick{Value: 1, Label: "1"})
	}
	n := math.Floor((hi - first) / step)
	for i := 0.0; i <= n && len(ticks) < maxTicks; i++ {
		v := first + i*step // counted from first: adding step to a huge v may not move it
		if len(ticks) > 0 && ticks[len(ticks)-1].Value >= v {
			continue
		}
		ticks = append(ticks, gplot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// niceStep returns the least of 1, 2, 5, 10, 20, 50, ... that is ≥ x.
func niceStep(x float64) float64 {
	if !(x > 1) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// valueTicks is gonum's default tick marker for the value axis, used only
// on ranges it is known to handle: magnitudes up to a little over float32's
// (the values Curves draws), spans not vanishingly small beside them. It
// does not return for ranges near float64's limit (±9e307 hangs it). Other
// ranges get evenly spaced ticks of their own.
type valueTicks struct{}

func (valueTicks) Ticks(lo, hi float64) []gplot.Tick {
	const sane = 1e39
	if !(lo < hi) || math.Abs(lo) > sane || math.Abs(hi) > sane || hi-lo <= (math.Abs(lo)+math.Abs(hi))*1e-12 {
		return plainTicks(lo, hi)
	}
	ticks := gplot.DefaultTicks{}.Ticks(lo, hi)
	if len(ticks) > maxTicks {
		ticks = ticks[:maxTicks]
	}
	return ticks
}

// plainTicks marks lo, hi and three values between.
func plainTicks(lo, hi float64) []gplot.Tick {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
		return nil
	}
	var ticks []gplot.Tick
	for i := range 5 {
		v := lo + (hi/4-lo/4)*float64(i) // hi/4-lo/4 cannot overflow
		if i == 4 {
			v = hi
		}
		if len(ticks) > 0 && ticks[len(ticks)-1].Value >= v {
			continue
		}
		ticks = append(ticks, gplot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 3, 64)})
	}
	return ticks
}

// fixRange widens an axis whose data all but share one value, which gonum
// would widen by ±1 — nothing at all beyond 2^53 — leaving an empty range
// that its tick marker refuses.
func fixRange(a *gplot.Axis) {
	if !(a.Min <= a.Max) || math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) {
		return // no data: gonum draws 0..1 ± 1
	}
	c := a.Min/2 + a.Max/2
	if a.Max-a.Min > math.Abs(c)*1e-12 {
		return
	}
	d := max(1, math.Abs(c)*1e-3)
	a.Min, a.Max = c-d, c+d
}
