package main

import (
	"fmt"
	"image/color"
	"os"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// runStyles draw the four runs: raw pixels in red, scaled in blue, and the
// two BatchNormalization runs, which nearly coincide, as a wide orange line
// under a dashed green one, so that both can be seen.
var runStyles = []struct {
	clr    color.Color
	width  vg.Length
	dashed bool
}{
	{color.RGBA{214, 39, 40, 255}, vg.Points(2), false},
	{color.RGBA{31, 119, 180, 255}, vg.Points(2), false},
	{color.RGBA{255, 127, 14, 255}, vg.Points(5), false},
	{color.RGBA{44, 160, 44, 255}, vg.Points(2), true},
}

// saveRuns draws two panels side by side, the training loss and the
// validation accuracy per epoch, one line per run, into a PNG file.
func saveRuns(path string, runs []trainedRun) error {
	var panels []*gplot.Plot
	for _, q := range []struct{ key, title string }{
		{"loss", "Training loss (mean squared error)"},
		{"val_accuracy", "Validation accuracy"},
	} {
		p := gplot.New()
		p.Title.Text = q.title
		p.X.Label.Text = "epoch"
		p.Add(plotter.NewGrid())
		p.Legend.Top = q.key == "loss"
		for i, r := range runs {
			var xy plotter.XYs
			for e, v := range r.history.History[q.key] {
				xy = append(xy, plotter.XY{X: float64(e + 1), Y: v})
			}
			line, points, err := plotter.NewLinePoints(xy)
			if err != nil {
				return fmt.Errorf("normalization: %s: %w", r.name, err)
			}
			s := runStyles[i%len(runStyles)]
			line.Color, line.Width = s.clr, s.width
			if s.dashed {
				line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			points.Color, points.Shape, points.Radius = s.clr, draw.CircleGlyph{}, vg.Points(2)
			p.Add(line, points)
			p.Legend.Add(r.name, line, points)
		}
		panels = append(panels, p)
	}
	return savePanels(path, panels)
}

// savePanels lays plots out in one row and writes them as a PNG, at the
// resolution and size of package plot's pictures.
func savePanels(path string, panels []*gplot.Plot) error {
	const panelW, panelH = 5 * vg.Inch, 3.6 * vg.Inch
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(len(panels))*panelW, panelH), vgimg.UseDPI(96),
		vgimg.UseBackgroundColor(color.White))
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(24), PadTop: vg.Points(8),
		PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(12)}
	grid := gplot.Align([][]*gplot.Plot{panels}, tiles, draw.New(c))
	for i, p := range panels {
		p.Draw(grid[0][i])
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
