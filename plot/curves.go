package plot

import (
	"errors"
	"fmt"
	"image/color"
	"strings"

	"github.com/goras-ml/goras"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours: matplotlib's first two (tab:blue, tab:orange) for train and
// validation, so the curves look like the course's.
var (
	white      = color.White
	trainColor = color.RGBA{31, 119, 180, 255}
	valColor   = color.RGBA{255, 127, 14, 255}
	red        = color.RGBA{214, 39, 40, 255}
	frameGrey  = color.RGBA{160, 160, 160, 255}
)

// Curves returns one plot per quantity logged in h — "loss", "accuracy",
// any other metric — each with the training values and, when logged, the
// validation ones (val_<name>), against the epoch counted from 1. Loss
// comes first, the rest in name order; learning-rate logs (learning_rate,
// lr) are left out. It returns an error for a History with no epochs.
//
// Any History gives a picture in bounded time: values that are NaN,
// infinite or beyond float32's range (which no goras run logs) are left
// out, the axes get a bounded number of ticks however large the epoch
// numbers, and a range of one value is widened.
func Curves(h *goras.History) ([]*gplot.Plot, error) {
	if h == nil || len(h.Epoch) == 0 {
		return nil, errors.New("plot: the History has no epochs to draw")
	}
	var names []string
	if _, ok := h.History["loss"]; ok {
		names = append(names, "loss")
	}
	for _, k := range h.Keys() {
		if k == "loss" || k == "learning_rate" || k == "lr" || strings.HasPrefix(k, "val_") {
			continue
		}
		names = append(names, k)
	}
	for _, k := range h.Keys() { // validation-only logs, if any
		if base, ok := strings.CutPrefix(k, "val_"); ok {
			if _, has := h.History[base]; !has && base != "learning_rate" && base != "lr" {
				names = append(names, base)
			}
		}
	}
	if len(names) == 0 {
		return nil, errors.New("plot: the History logs nothing to draw")
	}
	var plots []*gplot.Plot
	for _, name := range names {
		p := gplot.New()
		p.Title.Text = title(name)
		p.Title.TextStyle.Font.Size = vg.Points(13)
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = name
		p.X.Tick.Marker = epochTicks{}
		p.Y.Tick.Marker = valueTicks{}
		p.Add(plotter.NewGrid())
		// Losses fall and scores rise: keep the legend in the corner the
		// curves leave empty (top right for a loss, bottom right otherwise).
		p.Legend.Top = strings.Contains(name, "loss") || strings.Contains(name, "error")
		p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
		if p.Legend.Top {
			p.Legend.YOffs = -vg.Points(8)
		}
		for _, s := range []struct {
			key, label string
			clr        color.Color
			dashed     bool
		}{{name, "train", trainColor, false}, {"val_" + name, "validation", valColor, true}} {
			vals, ok := h.History[s.key]
			if !ok {
				continue
			}
			xy := make(plotter.XYs, 0, len(vals))
			for i, v := range vals {
				if i < len(h.Epoch) && drawable(v) {
					xy = append(xy, plotter.XY{X: float64(h.Epoch[i]) + 1, Y: v})
				}
			}
			if len(xy) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, fmt.Errorf("plot: %s: %w", s.key, err)
			}
			line.Color, line.Width = s.clr, vg.Points(2)
			if s.dashed {
				line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			points.Color, points.Shape, points.Radius = s.clr, draw.CircleGlyph{}, vg.Points(2.5)
			p.Add(line, points)
			p.Legend.Add(s.label, line, points)
		}
		fixRange(&p.X)
		fixRange(&p.Y)
		plots = append(plots, p)
	}
	return plots, nil
}

// title capitalises a logged name for a panel title: "val_loss" stays as
// it is, "accuracy" becomes "Accuracy".
func title(name string) string {
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "_", " ")
}

// Panel sizes for SaveCurves: each panel is panelW × panelH.
const (
	panelW = 5 * vg.Inch
	panelH = 3.6 * vg.Inch
)

// SaveCurves draws the training curves of h (see Curves) side by side, one
// panel per quantity — loss and accuracy for the course's models — and
// writes them to path, a .png or .svg file.
func SaveCurves(h *goras.History, path string) error {
	if _, err := newCanvas(path, 1, 1); err != nil { // fail on the name before drawing
		return err
	}
	w, ht, paint, err := curvesPicture(h)
	if err != nil {
		return err
	}
	return save(path, w, ht, paint)
}

// curvesPicture lays out the panels of SaveCurves: the picture's size and
// the function that draws it.
func curvesPicture(h *goras.History) (w, ht vg.Length, paint func(draw.Canvas) error, err error) {
	plots, err := Curves(h)
	if err != nil {
		return 0, 0, nil, err
	}
	cols := min(len(plots), 3)
	rows := (len(plots) + cols - 1) / cols
	grid := make([][]*gplot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*gplot.Plot, cols)
		for c := range cols {
			if i := r*cols + c; i < len(plots) {
				grid[r][c] = plots[i]
			}
		}
	}
	paint = func(dc draw.Canvas) error {
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(24), PadY: vg.Points(18),
			PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(12)}
		canvases := gplot.Align(grid, tiles, dc)
		for r := range grid {
			for c, p := range grid[r] {
				if p != nil {
					p.Draw(canvases[r][c])
				}
			}
		}
		return nil
	}
	return vg.Length(cols) * panelW, vg.Length(rows) * panelH, paint, nil
}
