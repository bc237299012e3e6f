package main

import (
	"bytes"
	"image/color"
	"math"
	"os"
	"strconv"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/tensor"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Colours: matplotlib's blue and orange for the two classes, as package plot
// draws the course's curves, and pale versions of them for the background.
var (
	blue       = color.RGBA{31, 119, 180, 255}
	orange     = color.RGBA{255, 127, 14, 255}
	paleBlue   = color.RGBA{198, 219, 239, 255}
	paleOrange = color.RGBA{253, 208, 162, 255}
)

// The square the pictures show, and how finely the answers are sampled.
const (
	lim   = 2.2
	cells = 88
)

// grid is a network's probability of class 1 on cells × cells points of the
// square, for a heat map.
type grid struct{ p []float32 }

// Dims, Z, X and Y implement plotter.GridXYZ: cells × cells values, row r
// at height Y(r), column c at X(c), each the centre of its cell.
func (g grid) Dims() (c, r int)   { return cells, cells }
func (g grid) Z(c, r int) float64 { return float64(g.p[r*cells+c]) }
func (g grid) X(c int) float64    { return -lim + 2*lim*(float64(c)+0.5)/cells }
func (g grid) Y(r int) float64    { return -lim + 2*lim*(float64(r)+0.5)/cells }

// at is the point of column c, row r.
func (g grid) at(c, r int) [2]float64 { return [2]float64{g.X(c), g.Y(r)} }

// answer asks model for its probability of class 1 at every point of the
// grid, in one batch.
func answer(model *goras.Model) (grid, error) {
	g := grid{}
	pts := tensor.New(cells*cells, 2)
	for r := range cells {
		for c := range cells {
			xy := g.at(c, r)
			pts.Set(float32(xy[0]), r*cells+c, 0)
			pts.Set(float32(xy[1]), r*cells+c, 1)
		}
	}
	p, err := model.PredictOnBatch(pts)
	if err != nil {
		return g, err
	}
	g.p = p.Data()
	return g, nil
}

// shades is a palette from pale blue (probability 0, class 0) through white
// (0.5: the network does not know) to pale orange (1, class 1).
type shades struct{}

// Colors implements palette.Palette with 21 shades.
func (shades) Colors() []color.Color {
	out := make([]color.Color, 21)
	for i := range out {
		t := float64(i)/10 - 1 // -1 … 1
		from := paleBlue
		if t > 0 {
			from = paleOrange
		}
		if t < 0 {
			t = -t
		}
		mix := func(c uint8) uint8 { return uint8(255 - t*(255-float64(c))) }
		out[i] = color.RGBA{mix(from.R), mix(from.G), mix(from.B), 255}
	}
	return out
}

// drawAnswers draws the points alone, then each network's answer: the
// background is its probability of class 1 there, blue for 0, white for
// 0.5 (no idea), orange for 1.
func drawAnswers(path string, x, y *tensor.Tensor, results []result) error {
	plots := []*gplot.Plot{pointsPlot("the data: XOR", x, y, nil)}
	for _, r := range results {
		g, err := answer(r.model)
		if err != nil {
			return err
		}
		hm := plotter.NewHeatMap(g, shades{})
		hm.Min, hm.Max, hm.Rasterized = 0, 1, true
		plots = append(plots, pointsPlot(r.name+": accuracy "+strconv.FormatFloat(r.acc, 'f', 3, 64), x, y, hm))
	}
	return savePanels(path, vg.Length(len(plots))*3.6*vg.Inch, 3.4*vg.Inch, plots)
}

// pointsPlot is a square plot of the points, class 0 as blue circles and
// class 1 as orange triangles, over background unless it is nil.
func pointsPlot(title string, x, y *tensor.Tensor, background gplot.Plotter) *gplot.Plot {
	p := gplot.New()
	if background != nil {
		p.Add(background)
	}
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "x1", "x2"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -lim, lim, -lim, lim
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks(-2, 2, 1), ticks(-2, 2, 1)
	var class [2]plotter.XYs
	for i := range x.Dim(0) {
		k := int(y.At(i, 0))
		class[k] = append(class[k], plotter.XY{X: float64(x.At(i, 0)), Y: float64(x.At(i, 1))})
	}
	for k, shape := range []draw.GlyphDrawer{draw.CircleGlyph{}, draw.PyramidGlyph{}} {
		s, _ := plotter.NewScatter(class[k])
		s.GlyphStyle = draw.GlyphStyle{Color: []color.Color{blue, orange}[k], Radius: vg.Points(2.5), Shape: shape}
		p.Add(s)
	}
	return p
}

// drawLosses draws each network's training loss, epoch by epoch.
func drawLosses(path string, results []result) error {
	p := gplot.New()
	p.Title.Text = "binary cross-entropy while training"
	p.X.Label.Text, p.Y.Label.Text = "epoch", "loss"
	p.Add(plotter.NewGrid())
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = ticks(0, 1, 0.2)
	p.X.Tick.Marker = ticks(0, float64(len(results[0].history.Epoch)), epochStep(len(results[0].history.Epoch)))
	for i, r := range results {
		loss := r.history.History["loss"]
		xy := make(plotter.XYs, len(loss))
		for e, v := range loss {
			xy[e] = plotter.XY{X: float64(e + 1), Y: v}
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		line.Color, line.Width = []color.Color{blue, orange}[i], vg.Points(2)
		p.Add(line)
		p.Legend.Add(r.name, line)
	}
	// Answering 0.5 everywhere costs -log 0.5 = ln 2 per point: the line
	// shows where a network that has learned nothing stays.
	hedge, err := plotter.NewLine(plotter.XYs{{X: 1, Y: math.Ln2}, {X: float64(len(results[0].history.Epoch)), Y: math.Ln2}})
	if err != nil {
		return err
	}
	hedge.Color, hedge.Dashes = color.Gray{Y: 120}, []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(hedge)
	p.Legend.Add("ln 2: always answering 0.5", hedge)
	p.Legend.Top = true
	return savePanels(path, 5.5*vg.Inch, 3.4*vg.Inch, []*gplot.Plot{p})
}

// ticks labels an axis at lo, lo+step, … up to hi.
func ticks(lo, hi, step float64) gplot.ConstantTicks {
	var t gplot.ConstantTicks
	for i := 0; lo+float64(i)*step <= hi+step/1e6; i++ {
		v := lo + float64(i)*step
		t = append(t, gplot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 4, 64)})
	}
	return t
}

// epochStep is a round spacing giving at most about 10 epoch ticks.
func epochStep(epochs int) float64 {
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000} {
		if step = s; epochs/s <= 10 {
			break
		}
	}
	return float64(step)
}

// savePanels draws plots side by side on a w × h picture and writes it as
// a PNG at 96 dots per inch on white.
func savePanels(path string, w, h vg.Length, plots []*gplot.Plot) error {
	grid := [][]*gplot.Plot{plots}
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(18), PadTop: vg.Points(8),
		PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(12)}
	canvases := gplot.Align(grid, tiles, draw.New(img))
	for c, p := range plots {
		p.Draw(canvases[0][c])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
