package main

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"os"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// panelPixels is about the width, in pixels, of a map's image: each value
// is drawn as a square of panelPixels/width pixels, so that the image is
// not enlarged (and blurred) when drawn in its panel.
const panelPixels = 300

var (
	inkRed   = color.RGBA{214, 39, 40, 255}
	posColor = color.RGBA{178, 24, 43, 255}  // positive values: red
	negColor = color.RGBA{33, 102, 172, 255} // negative values: blue
)

// greyImage draws m (values in [0, 1]) as the course's imshow(cmap="Greys"):
// 0 white, 1 black.
func greyImage(m [][]float64) image.Image {
	return render(m, func(v float64) color.Color {
		g := uint8(math.Round(255 * (1 - math.Max(0, math.Min(1, v)))))
		return color.RGBA{g, g, g, 255}
	})
}

// signedImage draws m with 0 white, positive values red and negative ones
// blue, the most intense at the largest |value|.
func signedImage(m [][]float64) image.Image {
	top := 0.0
	for _, row := range m {
		for _, v := range row {
			top = math.Max(top, math.Abs(v))
		}
	}
	if top == 0 {
		top = 1
	}
	return render(m, func(v float64) color.Color {
		c, t := posColor, v/top
		if t < 0 {
			c, t = negColor, -t
		}
		mix := func(a uint8) uint8 { return uint8(math.Round(255 - t*(255-float64(a)))) }
		return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 255}
	})
}

// render paints each value of m as a square.
func render(m [][]float64, shade func(float64) color.Color) image.Image {
	cell := max(1, panelPixels/len(m[0]))
	img := image.NewRGBA(image.Rect(0, 0, len(m[0])*cell, len(m)*cell))
	for i, row := range m {
		for j, v := range row {
			c := shade(v)
			for y := range cell {
				for x := range cell {
					img.Set(j*cell+x, i*cell+y, c)
				}
			}
		}
	}
	return img
}

// panel shows img, a picture of an h×w map, under a title; row 0 of the
// map is at the top, and data coordinates are (column, h − row).
func panel(title string, img image.Image, h, w int) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.HideAxes()
	p.Add(plotter.NewImage(img, 0, 0, float64(w), float64(h)))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(w), 0, float64(h)
	return p
}

// frame outlines rows r0..r0+n−1 and columns c0..c0+n−1 of panel p's map
// (of height h) in red.
func frame(p *gplot.Plot, h, r0, c0, n int) error {
	x0, x1 := float64(c0), float64(c0+n)
	y0, y1 := float64(h-r0-n), float64(h-r0)
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
	if err != nil {
		return err
	}
	l.Color, l.Width = inkRed, vg.Points(1.5)
	p.Add(l)
	return nil
}

// writeValues prints each value of m (small kernels) in its square.
func writeValues(p *gplot.Plot, m [][]float64) error {
	var xy plotter.XYLabels
	for i, row := range m {
		for j, v := range row {
			xy.XYs = append(xy.XYs, plotter.XY{X: float64(j) + 0.5, Y: float64(len(m)-i) - 0.5})
			xy.Labels = append(xy.Labels, fmt.Sprintf("%g", v))
		}
	}
	labels, err := plotter.NewLabels(xy)
	if err != nil {
		return err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = text.XCenter, text.YCenter
		labels.TextStyle[i].Font.Size = vg.Points(16)
	}
	p.Add(labels)
	return nil
}

// saveConvolution draws the digit with the 3×3 patch of the worked example
// framed, the kernel with its values, the feature map with the patch's
// output framed, and the pooled map.
func saveConvolution(path string, s *slid, bi, bj int) error {
	h, mh, ph := len(s.digit), len(s.hand), len(s.handPool)
	digit := panel(fmt.Sprintf("digit (%d×%d)", h, len(s.digit[0])), greyImage(s.digit), h, len(s.digit[0]))
	kernel := panel("kernel (3×3)", signedImage(edgeKernel), 3, 3)
	fmap := panel(fmt.Sprintf("feature map (%d×%d)", mh, len(s.hand[0])), signedImage(s.hand), mh, len(s.hand[0]))
	pooled := panel(fmt.Sprintf("2×2 max pooling (%d×%d)", ph, len(s.handPool[0])), signedImage(s.handPool), ph, len(s.handPool[0]))
	if err := frame(digit, h, bi, bj, 3); err != nil {
		return err
	}
	if err := frame(fmap, mh, bi, bj, 1); err != nil {
		return err
	}
	if err := writeValues(kernel, edgeKernel); err != nil {
		return err
	}
	return savePlots(path, [][]*gplot.Plot{{digit, kernel, fmap, pooled}}, 3*vg.Inch)
}

// savePlots lays the plots out in a grid of square panels of the given
// side and writes them as a PNG at package plot's resolution.
func savePlots(path string, grid [][]*gplot.Plot, side vg.Length) error {
	rows, cols := len(grid), len(grid[0])
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(cols)*side, vg.Length(rows)*side), vgimg.UseDPI(96),
		vgimg.UseBackgroundColor(color.White))
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(10), PadY: vg.Points(6),
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6)}
	canvases := gplot.Align(grid, tiles, draw.New(c))
	for i := range grid {
		for j, p := range grid[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// saveFeatures draws the digit, then the six kernels of the first layer
// in a row, with the feature map each makes of the digit below it.
func saveFeatures(path string, digit [][]float64, kernels, maps [][][]float64) error {
	grid := [][]*gplot.Plot{make([]*gplot.Plot, len(kernels)+1), make([]*gplot.Plot, len(kernels)+1)}
	grid[0][0] = panel("digit", greyImage(digit), len(digit), len(digit[0]))
	for f := range kernels {
		k, m := kernels[f], maps[f]
		grid[0][f+1] = panel(fmt.Sprintf("kernel %d (5×5)", f+1), signedImage(k), len(k), len(k[0]))
		grid[1][f+1] = panel(fmt.Sprintf("feature map %d", f+1), signedImage(m), len(m), len(m[0]))
	}
	return savePlots(path, grid, 2*vg.Inch)
}
