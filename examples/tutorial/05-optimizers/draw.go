package main

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The optimizers' colours, the studio's: SGD blue, Momentum orange,
// AdaGrad green, RMSprop purple, Adam red.
var racerColors = []color.Color{
	color.RGBA{31, 119, 180, 255},
	color.RGBA{255, 127, 14, 255},
	color.RGBA{44, 160, 44, 255},
	color.RGBA{148, 103, 189, 255},
	color.RGBA{214, 39, 40, 255},
}

// cells is the heat map's resolution across the window.
const cells = 120

// field is a surface sampled on the picture's window, for the heat map:
// the height log(1 + f − lowest), which spreads the
// deep part of a valley over more shades than f would.
type field struct {
	s      surface
	lowest float64
}

// Dims, X, Y and Z implement plotter.GridXYZ: cells columns across the
// window, three quarters as many rows, each value at its cell's centre.
func (g field) Dims() (c, r int) { return cells, cells * 3 / 4 }
func (g field) X(c int) float64 {
	return g.s.xlim[0] + (g.s.xlim[1]-g.s.xlim[0])*(float64(c)+0.5)/cells
}
func (g field) Y(r int) float64 {
	_, rows := g.Dims()
	return g.s.ylim[0] + (g.s.ylim[1]-g.s.ylim[0])*(float64(r)+0.5)/float64(rows)
}
func (g field) Z(c, r int) float64 { return math.Log1p(g.s.f(g.X(c), g.Y(r)) - g.lowest) }

// pale is a palette of 14 shades from light blue (low) to light orange
// (high), light enough for the paths drawn over it to stand out.
type pale struct{}

// Colors implements palette.Palette.
func (pale) Colors() []color.Color {
	lo, hi := [3]float64{189, 215, 238}, [3]float64{253, 208, 162}
	out := make([]color.Color, 14)
	for i := range out {
		t := float64(i) / float64(len(out)-1)
		mix := func(k int) uint8 { return uint8(lo[k] + t*(hi[k]-lo[k])) }
		out[i] = color.RGBA{mix(0), mix(1), mix(2), 255}
	}
	return out
}

// surfacePlot is the surface's heat map, titled. The palette's 14 shades
// band the heat map like contour lines.
func surfacePlot(s surface, title string) *gplot.Plot {
	g := field{s: s, lowest: math.Inf(1)}
	cols, rows := g.Dims()
	for c := range cols {
		for r := range rows {
			g.lowest = math.Min(g.lowest, s.f(g.X(c), g.Y(r)))
		}
	}
	p := gplot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "x", "y"
	hm := plotter.NewHeatMap(g, pale{})
	hm.Rasterized = true
	p.Add(hm)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = s.xlim[0], s.xlim[1], s.ylim[0], s.ylim[1]
	return p
}

// addWalk draws a walk: a line through its points, small dots on them, a
// ring at the start; cut where it leaves the window far behind.
func addWalk(p *gplot.Plot, s surface, pt path, c color.Color) error {
	var xy plotter.XYs
	for _, v := range pt.xy {
		if math.Abs(v[0]) > 10*math.Abs(s.xlim[1]) || math.Abs(v[1]) > 10*math.Abs(s.ylim[1]) {
			break
		}
		xy = append(xy, plotter.XY{X: v[0], Y: v[1]})
	}
	line, dots, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	line.Color, line.Width = c, vg.Points(1.5)
	dots.Color, dots.Shape, dots.Radius = c, draw.CircleGlyph{}, vg.Points(1.6)
	start, err := plotter.NewScatter(xy[:1])
	if err != nil {
		return err
	}
	start.Color, start.Shape, start.Radius = color.Black, draw.RingGlyph{}, vg.Points(4)
	p.Add(line, dots, start)
	return nil
}

// lossPlot draws each walk's loss against the step; on a log axis when
// every loss is positive (the long valley, whose minimum is 0).
func lossPlot(paths []path, logY bool) (*gplot.Plot, error) {
	p := gplot.New()
	p.Title.Text = "loss at each step"
	p.X.Label.Text, p.Y.Label.Text = "step", "loss"
	p.Add(plotter.NewGrid())
	if logY {
		p.Y.Scale, p.Y.Tick.Marker = gplot.LogScale{}, decades{}
		p.Y.Min = floor
	}
	for i, pt := range paths {
		xy := make(plotter.XYs, len(pt.loss))
		for s, l := range pt.loss {
			if logY {
				l = math.Max(l, floor) // a log axis cannot show 0
			}
			xy[s] = plotter.XY{X: float64(s), Y: l}
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = racerColors[i], vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("%s, lr %g", pt.racer, pt.lr), line)
	}
	p.Legend.Top, p.Legend.Left = !logY, logY // where the curves are not
	p.Legend.XOffs, p.Legend.TextStyle.Font.Size = vg.Points(6), vg.Points(10)
	if !logY {
		p.Legend.XOffs = -vg.Points(6)
	}
	return p, nil
}

// floor is the lowest loss the log axis shows; lower losses are drawn on it.
const floor = 1e-10

// decades labels a log axis at every second power of ten, 1e-10 … 1e+00.
type decades struct{}

// Ticks implements plot.Ticker.
func (decades) Ticks(lo, hi float64) []gplot.Tick {
	var t []gplot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		v := math.Pow(10, e)
		if v < lo || v > hi {
			continue
		}
		label := ""
		if int(e)%2 == 0 {
			label = fmt.Sprintf("1e%d", int(e))
		}
		t = append(t, gplot.Tick{Value: v, Label: label})
	}
	return t
}

// drawRace draws a race. With cols > 0, one panel per optimizer, cols to a
// row, then the losses on a log axis; with cols = 0, every path on one
// surface beside the losses. The losses' legend names the colours.
func drawRace(file string, s surface, paths []path, cols int) error {
	var plots []*gplot.Plot
	if cols > 0 {
		for i, pt := range paths {
			p := surfacePlot(s, fmt.Sprintf("%s, lr %g", pt.racer, pt.lr))
			if err := addWalk(p, s, pt, racerColors[i]); err != nil {
				return err
			}
			plots = append(plots, p)
		}
	} else {
		p := surfacePlot(s, s.formula)
		for i, pt := range paths {
			if err := addWalk(p, s, pt, racerColors[i]); err != nil {
				return err
			}
		}
		plots, cols = append(plots, p), 2
	}
	losses, err := lossPlot(paths, cols > 2)
	if err != nil {
		return err
	}
	return savePanels(file, cols, append(plots, losses))
}

// savePanels draws plots on a grid of cols columns, each panel 4 × 2.9
// inches, and writes it as a PNG at 96 dots per inch on white.
func savePanels(file string, cols int, plots []*gplot.Plot) error {
	rows := (len(plots) + cols - 1) / cols
	grid := make([][]*gplot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*gplot.Plot, cols)
		for c := range grid[r] {
			if i := r*cols + c; i < len(plots) {
				grid[r][c] = plots[i]
			}
		}
	}
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(cols)*4*vg.Inch, vg.Length(rows)*2.9*vg.Inch), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(18), PadY: vg.Points(14),
		PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(12)}
	canvases := gplot.Align(grid, tiles, draw.New(img))
	for r := range grid {
		for c, p := range grid[r] {
			if p != nil {
				p.Draw(canvases[r][c])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}
