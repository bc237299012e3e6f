package testdigits

import (
	"image/color"
	"testing"
)

// At ×1 a lit pixel lands exactly at its offset position in full ink; at ×2
// bilinear sampling spreads it over a 2×2 block, each cell 0.75² = 56 %
// ink, with paper around it.
func TestPicture(t *testing.T) {
	px := make([]uint8, 28*28)
	px[3*28+5] = 255 // row 3, column 5
	ink, paper := color.RGBA{0, 0, 0, 255}, color.RGBA{200, 200, 200, 255}
	one := Picture(px, 1, 40, 40, 7, 4, ink, paper)
	if got := one.RGBAAt(7+5, 4+3); got != ink {
		t.Errorf("×1: lit pixel %v, want ink", got)
	}
	if got := one.RGBAAt(7+6, 4+3); got != paper {
		t.Errorf("×1: its neighbour %v, want paper", got)
	}
	two := Picture(px, 2, 80, 80, 7, 4, ink, paper)
	for _, p := range [][2]int{{7 + 10, 4 + 6}, {7 + 11, 4 + 6}, {7 + 10, 4 + 7}, {7 + 11, 4 + 7}} {
		if got := two.RGBAAt(p[0], p[1]); got.R != 88 { // 200·(1 - 0.5625) = 87.5 → 88
			t.Errorf("×2: pixel %v = %v, want 88", p, got)
		}
	}
	if got := two.RGBAAt(0, 0); got != paper {
		t.Errorf("×2: corner %v, want paper", got)
	}
}
