package main

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"strconv"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Colours: matplotlib's first three, as package plot draws the course's
// curves.
var lineColors = []color.Color{
	color.RGBA{31, 119, 180, 255},
	color.RGBA{255, 127, 14, 255},
	color.RGBA{44, 160, 44, 255},
}

// curvePoints is how many values of z each curve is drawn through.
const curvePoints = 201

// zs is curvePoints values of z from -5 to 5.
func zs() []float64 {
	z := make([]float64, curvePoints)
	for i := range z {
		z[i] = -5 + 10*float64(i)/float64(curvePoints-1)
	}
	return z
}

// activationCurve asks goras for activation name at every z: a model made of
// an Activation layer alone, given the z values as a batch of one-number
// samples, or, for softmax, of the scores (z, 1, 0), one row per z.
func activationCurve(name string, z []float64) ([][]float64, error) {
	rows := make([][]float64, len(z))
	for i, v := range z {
		rows[i] = []float64{v}
		if name == "softmax" {
			rows[i] = []float64{v, 1, 0}
		}
	}
	model := goras.NewSequential(layers.Input(len(rows[0])), layers.Activation(name))
	y, err := model.PredictOnBatch(matrix(rows))
	if err != nil {
		return nil, err
	}
	out := make([][]float64, y.Dim(1)) // one curve per output
	for j := range out {
		out[j] = make([]float64, len(z))
		for i := range z {
			out[j][i] = float64(y.At(i, j))
		}
	}
	return out, nil
}

// drawActivations writes the four activation functions, as goras computes
// them, to a PNG file: relu, sigmoid and tanh of z, and the softmax of the
// scores (z, 1, 0), whose three outputs always sum to 1.
func drawActivations(path string) error {
	panels := []struct {
		name, title string
		lo, hi      float64 // the range of the y axis
		ticks       []float64
	}{
		{"relu", "relu(z) = max(0, z)", -0.25, 5.25, []float64{0, 1, 2, 3, 4, 5}},
		{"sigmoid", "sigmoid(z) = 1 / (1 + exp(-z))", -0.05, 1.05, []float64{0, 0.25, 0.5, 0.75, 1}},
		{"tanh", "tanh(z)", -1.1, 1.1, []float64{-1, -0.5, 0, 0.5, 1}},
		{"softmax", "softmax of the scores (z, 1, 0)", -0.05, 1.2, []float64{0, 0.25, 0.5, 0.75, 1}},
	}
	z := zs()
	var plots []*gplot.Plot
	for _, pn := range panels {
		curves, err := activationCurve(pn.name, z)
		if err != nil {
			return err
		}
		p := gplot.New()
		p.Title.Text = pn.title
		p.X.Label.Text = "z"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -5, 5, pn.lo, pn.hi
		p.X.Tick.Marker = ticks([]float64{-4, -2, 0, 2, 4})
		p.Y.Tick.Marker = ticks(pn.ticks)
		p.Add(plotter.NewGrid())
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.TextStyle.Font.Size = vg.Points(10)
		p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(2)
		for j, c := range curves {
			xy := make(plotter.XYs, len(z))
			for i := range z {
				xy[i] = plotter.XY{X: z[i], Y: c[i]}
			}
			line, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			line.Color, line.Width = lineColors[j], vg.Points(2)
			p.Add(line)
			if len(curves) > 1 {
				p.Legend.Add(fmt.Sprintf("output %d (score %s)", j, []string{"z", "1", "0"}[j]), line)
			}
		}
		plots = append(plots, p)
	}
	return savePanels(path, 2, plots)
}

// ticks labels the axis at exactly the given values.
func ticks(at []float64) gplot.ConstantTicks {
	t := make(gplot.ConstantTicks, len(at))
	for i, v := range at {
		t[i] = gplot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)}
	}
	return t
}

// savePanels draws plots on a grid of cols columns, each panel 4.5 × 3.2
// inches, and writes it as a PNG at 96 dots per inch on white.
func savePanels(path string, cols int, plots []*gplot.Plot) error {
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
	w, h := vg.Length(cols)*4.5*vg.Inch, vg.Length(rows)*3.2*vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(20), PadY: vg.Points(16),
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
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
