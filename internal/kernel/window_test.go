package kernel

import "testing"

// TestWindow checks Window's sizes and its per-output ranges of real
// cells against a brute-force scan of every window of small geometries.
func TestWindow(t *testing.T) {
	g := win(28, 28, 5, 5, 1, 1, 2, 2, 2, 2) // LeNet-5's first convolution, "same"
	if oh, ow := g.Out(); oh != 28 || ow != 28 {
		t.Errorf("%v: Out() = %d, %d, want 28, 28", g, oh, ow)
	}
	if hp, wp := g.Padded(); hp != 32 || wp != 32 {
		t.Errorf("%v: Padded() = %d, %d, want 32, 32", g, hp, wp)
	}
	if got, want := win(7, 5, 2, 2, 2, 2, 0, 0, 0, 0).String(), "image 7x5, window 2x2, strides 2x2, padding (0,0,0,0)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, bad := range []Window{win(0, 4, 1, 1, 1, 1, 0, 0, 0, 0), win(4, 4, 0, 1, 1, 1, 0, 0, 0, 0),
		win(4, 4, 1, 1, 1, 0, 0, 0, 0, 0), win(4, 4, 2, 2, 1, 1, -1, 0, 0, 0), win(4, 4, 6, 2, 1, 1, 1, 0, 0, 0)} {
		if bad.Valid() {
			t.Errorf("%v: Valid() = true", bad)
		}
	}
	for h := 1; h <= 6; h++ {
		for k := 1; k <= 4; k++ {
			for s := 1; s <= 3; s++ {
				for pa := 0; pa <= 3; pa++ {
					for pb := 0; pb <= 2; pb++ {
						checkWindow(t, win(h, h+1, k, k, s, s, pa, pb, pb, pa))
					}
				}
			}
		}
	}
}

func checkWindow(t *testing.T, g Window) {
	t.Helper()
	if valid := g.H+g.PT+g.PB >= g.KH && g.W+g.PL+g.PR >= g.KW; g.Valid() != valid {
		t.Fatalf("%v: Valid() = %v, want %v", g, g.Valid(), valid)
	}
	if !g.Valid() {
		return
	}
	oh, ow := g.Out()
	hp, wp := g.Padded()
	n := 0 // windows that fit in the padded image
	for n*g.SH+g.KH <= hp {
		n++
	}
	if oh != n || (ow-1)*g.SW+g.KW > wp || ow*g.SW+g.KW <= wp {
		t.Fatalf("%v: Out() = %d, %d; %d windows fit down", g, oh, ow, n)
	}
	for i := 0; i < oh; i++ {
		ky0, ky1, iy0 := g.rows(i)
		lo, hi := realCells(i*g.SH-g.PT, g.KH, g.H)
		if ky1 > ky0 != (hi > lo) || hi > lo && (ky0 != lo || ky1 != hi || iy0 != i*g.SH-g.PT+lo) {
			t.Fatalf("%v: rows(%d) = %d, %d, %d; real rows [%d, %d)", g, i, ky0, ky1, iy0, lo, hi)
		}
	}
	jlo, jhi := g.interior()
	for j := 0; j < ow; j++ {
		kx0, kx1, ix0 := g.cols(j)
		lo, hi := realCells(j*g.SW-g.PL, g.KW, g.W)
		if kx1 > kx0 != (hi > lo) || hi > lo && (kx0 != lo || kx1 != hi || ix0 != j*g.SW-g.PL+lo) {
			t.Fatalf("%v: cols(%d) = %d, %d, %d; real columns [%d, %d)", g, j, kx0, kx1, ix0, lo, hi)
		}
		if inside := lo == 0 && hi == g.KW; inside != (j >= jlo && j < jhi) {
			t.Fatalf("%v: interior() = [%d, %d), but column %d lies inside: %v", g, jlo, jhi, j, inside)
		}
	}
}

// realCells scans a window of k cells starting at cell start of an axis of
// size cells and returns the window offsets [lo, hi) that fall on it (lo =
// hi when none do).
func realCells(start, k, size int) (lo, hi int) {
	lo, hi = -1, -1
	for o := 0; o < k; o++ {
		if c := start + o; c >= 0 && c < size {
			if lo < 0 {
				lo = o
			}
			hi = o + 1
		}
	}
	if lo < 0 {
		return 0, 0
	}
	return lo, hi
}
