package plot

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
)

// huge is v as an int, or the nearest int on a 32-bit build, where the
// epochs below cannot be written as int constants.
func huge(v int64) int {
	switch {
	case v > math.MaxInt:
		return math.MaxInt
	case v < math.MinInt:
		return math.MinInt
	}
	return int(v)
}

// TestSaveCurvesHostileHistories draws histories that used to hang
// SaveCurves forever (an epoch number of 1e12 walked one tick per epoch;
// values of ±1e308 sent gonum's tick search into an endless loop) or panic
// (a single huge value left gonum an empty range). Each must now give a
// picture, quickly. Without the fix this test never returns; go test's
// -timeout reports it.
func TestSaveCurvesHostileHistories(t *testing.T) {
	hist := func(epochs []int, loss ...float64) *goras.History {
		return &goras.History{Epoch: epochs, History: map[string][]float64{"loss": loss}}
	}
	for name, h := range map[string]*goras.History{
		"epoch 1e12":          hist([]int{0, huge(1e12)}, 0.5, 0.25),
		"one epoch 1e12":      hist([]int{huge(1e12)}, 0.5),
		"epochs 2^60 apart":   hist([]int{huge(1 << 60), huge(1<<60 + 3)}, 0.5, 0.4),
		"epoch MaxInt":        hist([]int{math.MaxInt}, 0.5),
		"negative epochs":     hist([]int{huge(-1e12), -3}, 1, 2),
		"values ±1e308":       hist([]int{0, 1}, 1e308, -1e308),
		"values ±9e307":       hist([]int{0, 1, 2}, 9e307, -9e307, 0),
		"values ±MaxFloat32":  hist([]int{0, 1}, math.MaxFloat32, -math.MaxFloat32),
		"one value 1e18":      hist([]int{0}, 1e18),
		"equal values 1e30":   hist([]int{0, 1, 2}, 1e30, 1e30, 1e30),
		"almost equal values": hist([]int{0, 1}, 1, math.Nextafter(1, 2)),
		"all NaN":             hist([]int{0, 1}, math.NaN(), math.Inf(1)),
		"tiny values":         hist([]int{0, 1}, 5e-324, 1e-323),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.svg")
			if err := SaveCurves(h, path); err != nil {
				t.Fatalf("no picture: %v", err)
			}
			if svg := checkSVG(t, path); !strings.Contains(svg, "loss") {
				t.Error("the picture has no loss panel")
			}
		})
	}
}

// TestEpochTicks checks the ticks on the epoch axis: whole epochs at steps
// of 1, 2 or 5 times a power of ten, about ten of them, and epoch 1.
func TestEpochTicks(t *testing.T) {
	values := func(lo, hi float64) []float64 {
		var out []float64
		for _, tk := range (epochTicks{}).Ticks(lo, hi) {
			out = append(out, tk.Value)
		}
		return out
	}
	for _, c := range []struct {
		lo, hi float64
		want   []float64
	}{
		{0.5, 4.5, []float64{1, 2, 3, 4}},
		{1, 30, []float64{1, 5, 10, 15, 20, 25, 30}},
		{0.9, 100.2, []float64{1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
		{1e12 - 0.5, 1e12 + 0.5, []float64{1e12}},
		{0, 1e12, []float64{0, 1e11, 2e11, 3e11, 4e11, 5e11, 6e11, 7e11, 8e11, 9e11, 1e12}},
		{0.2, 0.8, nil},
		{math.Inf(-1), math.Inf(1), nil},
		{math.NaN(), 3, nil},
	} {
		got := values(c.lo, c.hi)
		if len(got) != len(c.want) {
			t.Errorf("Ticks(%g, %g) = %v, want %v", c.lo, c.hi, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("Ticks(%g, %g) = %v, want %v", c.lo, c.hi, got, c.want)
				break
			}
		}
	}
	// Any range, however wide, gets at most maxTicks.
	for _, r := range [][2]float64{{-1e300, 1e300}, {0, math.MaxFloat64}, {1 << 62, 1<<62 + 1e6}} {
		if n := len(values(r[0], r[1])); n == 0 || n > maxTicks {
			t.Errorf("Ticks(%g, %g): %d ticks", r[0], r[1], n)
		}
	}
}
