package kernel

import "fmt"

// Window is the geometry convolution and pooling share: a KH×KW window
// moved by SH rows and SW columns over an H×W image padded with PT rows
// above, PB below, PL columns to the left and PR to the right. Output cell
// (i, j) is the window whose top-left cell is image cell
// (i·SH - PT, j·SW - PL); cells outside the image are padding, which a
// convolution reads as zero and a pooling skips.
type Window struct {
	H, W           int // image rows and columns
	KH, KW         int // window rows and columns
	SH, SW         int // strides: rows and columns between windows
	PT, PB, PL, PR int // padding rows (top, bottom) and columns (left, right)
}

// Out returns the output's rows and columns:
// OH = (H + PT + PB - KH)/SH + 1, likewise OW.
func (g Window) Out() (oh, ow int) {
	return (g.H+g.PT+g.PB-g.KH)/g.SH + 1, (g.W+g.PL+g.PR-g.KW)/g.SW + 1
}

// Padded returns the padded image's rows and columns, H + PT + PB and
// W + PL + PR.
func (g Window) Padded() (hp, wp int) { return g.H + g.PT + g.PB, g.W + g.PL + g.PR }

// Valid reports whether the geometry makes sense: a non-empty image,
// window and strides, no negative padding, and a window that fits in the
// padded image (so that there is at least one output cell).
func (g Window) Valid() bool {
	hp, wp := g.Padded()
	return g.H >= 1 && g.W >= 1 && g.KH >= 1 && g.KW >= 1 && g.SH >= 1 && g.SW >= 1 &&
		g.PT >= 0 && g.PB >= 0 && g.PL >= 0 && g.PR >= 0 && hp >= g.KH && wp >= g.KW
}

// String describes the geometry for panic messages.
func (g Window) String() string {
	return fmt.Sprintf("image %dx%d, window %dx%d, strides %dx%d, padding (%d,%d,%d,%d)",
		g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PT, g.PB, g.PL, g.PR)
}

// rows returns the rows [ky0, ky1) of output row i's window that fall on
// the image, and the image row iy0 of window row ky0. The range is empty
// (ky1 ≤ ky0) when the whole window row lies in the padding.
func (g Window) rows(i int) (ky0, ky1, iy0 int) {
	top := i*g.SH - g.PT
	ky0, ky1 = max(0, -top), min(g.KH, g.H-top)
	return ky0, ky1, top + ky0
}

// cols is rows for the columns of output column j's window.
func (g Window) cols(j int) (kx0, kx1, ix0 int) {
	left := j*g.SW - g.PL
	kx0, kx1 = max(0, -left), min(g.KW, g.W-left)
	return kx0, kx1, left + kx0
}

// interior returns the output columns [jlo, jhi) whose windows lie wholly
// inside a row of the image (jhi ≥ jlo; possibly empty), where im2col and
// its adjoint need no edge logic.
func (g Window) interior() (jlo, jhi int) {
	_, ow := g.Out()
	jlo = min(ow, (g.PL+g.SW-1)/g.SW)
	if g.W+g.PL-g.KW >= 0 {
		jhi = min(ow, (g.W+g.PL-g.KW)/g.SW+1)
	}
	return jlo, max(jlo, jhi)
}
