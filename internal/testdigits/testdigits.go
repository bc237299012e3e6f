// Package testdigits draws MNIST digits the way a user's own picture of one
// might look, for the tests of image preparation and prediction.
package testdigits

import (
	"image"
	"image/color"
	"math"
)

// Picture draws digit px (28×28, ink high) magnified ×k with bilinear
// interpolation, its top-left corner at (ox, oy) on a w×h canvas, in the
// given ink and paper colours.
func Picture(px []uint8, k, w, h, ox, oy int, ink, paper color.RGBA) *image.RGBA {
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= 28 || y >= 28 {
			return 0
		}
		return float64(px[y*28+x]) / 255
	}
	mix := func(a, b uint8, t float64) uint8 { return uint8(math.Round(float64(a)*(1-t) + float64(b)*t)) }
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			// Sample the digit at the pixel's centre, in 28×28 coordinates.
			sx := (float64(x-ox)+0.5)/float64(k) - 0.5
			sy := (float64(y-oy)+0.5)/float64(k) - 0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			v := (at(x0, y0)*(1-fx)+at(x0+1, y0)*fx)*(1-fy) + (at(x0, y0+1)*(1-fx)+at(x0+1, y0+1)*fx)*fy
			img.SetRGBA(x, y, color.RGBA{mix(paper.R, ink.R, v), mix(paper.G, ink.G, v), mix(paper.B, ink.B, v), 255})
		}
	}
	return img
}
