package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/predict"
)

// point is a place in a digit's box: x from 0 (left) to 1 (right), y from
// 0 (top) to 1 (bottom).
type point struct{ x, y float64 }

// arc samples an ellipse of centre (cx, cy) and radii rx, ry from angle
// a0 to a1 in degrees; angles grow clockwise on the page (y points down),
// 270 is the top.
func arc(cx, cy, rx, ry, a0, a1 float64) []point {
	const n = 40
	ps := make([]point, n+1)
	for i := range ps {
		a := (a0 + (a1-a0)*float64(i)/n) * math.Pi / 180
		ps[i] = point{cx + rx*math.Cos(a), cy + ry*math.Sin(a)}
	}
	return ps
}

// join puts pen strokes end to end into one stroke.
func join(parts ...[]point) []point {
	var s []point
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

// strokes is how the program writes each digit: one or two strokes of the
// pen, each a line through the points.
var strokes = [10][][]point{
	{arc(0.5, 0.5, 0.25, 0.38, 0, 360)},
	{{{0.38, 0.24}, {0.56, 0.1}, {0.5, 0.9}}},
	{join(arc(0.5, 0.32, 0.24, 0.2, 200, 380), []point{{0.26, 0.88}, {0.8, 0.88}})},
	{join(arc(0.48, 0.3, 0.22, 0.19, 200, 450), arc(0.48, 0.68, 0.26, 0.21, 270, 520))},
	{{{0.58, 0.1}, {0.2, 0.62}, {0.82, 0.62}}, {{0.62, 0.32}, {0.6, 0.92}}},
	{join([]point{{0.76, 0.12}, {0.34, 0.12}, {0.3, 0.45}}, arc(0.5, 0.64, 0.25, 0.24, 220, 490))},
	{join([]point{{0.68, 0.1}, {0.45, 0.3}, {0.3, 0.62}}, arc(0.5, 0.68, 0.2, 0.2, 180, 540))},
	{{{0.22, 0.14}, {0.8, 0.14}, {0.42, 0.9}}},
	{arc(0.5, 0.3, 0.19, 0.18, 0, 360), arc(0.5, 0.7, 0.23, 0.21, 0, 360)},
	{arc(0.47, 0.32, 0.2, 0.2, 0, 360), {{0.67, 0.32}, {0.62, 0.92}}},
}

// Paper and ink of the pictures: a blue pen on cream paper, as a phone
// picture of a digit written on paper.
var (
	paper = color.RGBA{246, 241, 226, 255}
	ink   = color.RGBA{28, 44, 110, 255}
)

// writeDigit draws digit d with a round pen, 10 pixels in radius, slanted
// as a right hand slants, in a box off the centre of a 150×190 picture, and
// writes it as a PNG.
func writeDigit(path string, d int) error {
	const w, h, radius, slant = 150, 190, 10.0, 0.15
	box := struct{ x0, y0, size float64 }{22, 18, 150} // where the unit box lands, in pixels
	at := func(p point) point {
		return point{box.x0 + (p.x+slant*(1-p.y))*box.size*0.8, box.y0 + p.y*box.size}
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for py := range h {
		for px := range w {
			dist := math.Inf(1)
			for _, s := range strokes[d] {
				for i := 1; i < len(s); i++ {
					dist = math.Min(dist, segmentDistance(point{float64(px), float64(py)}, at(s[i-1]), at(s[i])))
				}
			}
			// Full ink within the pen's radius, paper beyond, a one-pixel
			// blend at the edge (what a camera sees).
			t := math.Max(0, math.Min(1, radius+0.5-dist))
			mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + t*(float64(q)-float64(p)))) }
			img.Set(px, py, color.RGBA{mix(paper.R, ink.R), mix(paper.G, ink.G), mix(paper.B, ink.B), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// segmentDistance is the distance from p to the segment ab.
func segmentDistance(p, a, b point) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/l))
	}
	return math.Hypot(p.x-a.x-t*dx, p.y-a.y-t*dy)
}

// ownResult is what readOwn found.
type ownResult struct {
	predictions []predict.Prediction
	// probs holds the network's ten probabilities for each digit.
	probs []float32
	right int
}

// readOwn writes the ten hand-written digits into dir, reads them back as
// `goras predict` does (grey, inverted if the paper is light, cropped to
// the ink, scaled to 20 pixels, centred in 28×28), prints the network's
// three most likely answers for each and draws the digits as it saw them.
func readOwn(w io.Writer, model *goras.Model, dir string) (*ownResult, error) {
	paths := make([]string, 10)
	labels := make([]int, 10)
	for d := range 10 {
		paths[d], labels[d] = filepath.Join(dir, fmt.Sprintf("10-hand-%d.png", d)), d
		if err := writeDigit(paths[d], d); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(w, "\nwrote %s ... %s, one digit each, written with a round pen\n\n", paths[0], paths[9])
	x, err := mnist.LoadImages(paths...) // (10, 28, 28), as the network will see them
	if err != nil {
		return nil, err
	}
	x, err = x.Reshape(append([]int{10}, model.InputShape()...)...)
	if err != nil {
		return nil, err
	}
	probs, err := model.Predict(x, goras.Verbose(0))
	if err != nil {
		return nil, err
	}
	res := &ownResult{probs: probs.Data()}
	classes := make([]int, 10)
	for d, path := range paths {
		p := predict.Top(path, probs.Data()[d*10:(d+1)*10], 3)
		res.predictions = append(res.predictions, p)
		classes[d] = p.Class
		if p.Class == d {
			res.right++
		}
		fmt.Fprintf(w, "%s: %d (%.4f), %d (%.4f), %d (%.4f)\n", path, p.Top[0].Class, p.Top[0].Probability,
			p.Top[1].Class, p.Top[1].Probability, p.Top[2].Class, p.Top[2].Probability)
	}
	fmt.Fprintf(w, "read right: %d of 10\n", res.right)
	seen := filepath.Join(dir, "10-hand-seen.png")
	if err := plot.SaveDigitGrid(seen, x, labels, classes, 10); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "wrote %s\n", seen)
	return res, nil
}
