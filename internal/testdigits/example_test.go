package testdigits_test

import (
	"fmt"
	"image/color"

	"github.com/goras-ml/goras/internal/testdigits"
)

// A 28×28 "digit" (a white square on black) drawn twice as large, 4 pixels
// from the top-left corner of a 64×64 canvas, dark ink on white paper, as a
// user's photo of a digit might be.
func ExamplePicture() {
	px := make([]uint8, 28*28)
	for y := 10; y < 18; y++ {
		for x := 10; x < 18; x++ {
			px[y*28+x] = 255
		}
	}
	ink := color.RGBA{20, 20, 60, 255}
	paper := color.RGBA{255, 255, 255, 255}
	img := testdigits.Picture(px, 2, 64, 64, 4, 4, ink, paper)
	fmt.Println(img.Bounds())
	fmt.Println("corner:", img.RGBAAt(0, 0))
	// The square's centre, (14, 14) in the digit, is at 4 + 2·14 on the canvas.
	fmt.Println("centre:", img.RGBAAt(32, 32))
	// Canvas column 23 samples the digit at x = (23-4+0.5)/2 - 0.5 = 9.25,
	// a quarter of the way from column 9 (paper) to 10 (ink): interpolated,
	// 255 - 0.25·(255-20) = 196.
	fmt.Println("edge:", img.RGBAAt(23, 32))
	// Output:
	// (0,0)-(64,64)
	// corner: {255 255 255 255}
	// centre: {20 20 60 255}
	// edge: {196 196 206 255}
}
