package main

import (
	"bytes"
	"fmt"
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

// Colours: grey for a loss curve, red for the steps on it (as the studio's
// Learn page draws them), matplotlib's blue and green for a second walk.
var (
	grey  = color.RGBA{140, 150, 165, 255}
	red   = color.RGBA{214, 39, 40, 255}
	blue  = color.RGBA{31, 119, 180, 255}
	green = color.RGBA{44, 160, 44, 255}
)

// lossCurve is the model's real loss at n weights from lo to hi: the
// weight is set and the model evaluated on all the points, each time.
func lossCurve(x, y *tensor.Tensor, lo, hi float64, n int) (plotter.XYs, error) {
	model, err := oneWeight(lo)
	if err != nil {
		return nil, err
	}
	if err := model.Compile(goras.CompileOptions{Loss: lossFn}); err != nil {
		return nil, err
	}
	xy := make(plotter.XYs, n)
	for i := range xy {
		w := lo + (hi-lo)*float64(i)/float64(n-1)
		if err := setWeight(model, w); err != nil {
			return nil, err
		}
		loss, err := model.Evaluate(x, y, goras.Verbose(0))
		if err != nil {
			return nil, err
		}
		xy[i] = plotter.XY{X: w, Y: loss["loss"]}
	}
	return xy, nil
}

// drawRates draws one panel per walk: the loss curve around the walk and
// the steps on it, each step a red dot joined to the one before.
func drawRates(path string, x, y *tensor.Tensor, best float64, walks []walk) error {
	var plots []*gplot.Plot
	for i, wk := range walks {
		lo, hi := best-3.5, best+3.5
		for _, w := range wk.w {
			lo, hi = math.Min(lo, w-0.5), math.Max(hi, w+0.5)
		}
		curve, err := lossCurve(x, y, lo, hi, 121)
		if err != nil {
			return err
		}
		steps := make(plotter.XYs, len(wk.w))
		for s := range wk.w {
			steps[s] = plotter.XY{X: wk.w[s], Y: wk.loss[s]}
		}
		p := gplot.New()
		p.Title.Text = fmt.Sprintf("lr %.2f: %s", wk.lr, rates[i].label)
		p.X.Label.Text, p.Y.Label.Text = "w", "loss"
		p.Add(plotter.NewGrid())
		if err := addPath(p, curve, steps, red, ""); err != nil {
			return err
		}
		p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
		plots = append(plots, p)
	}
	return savePanels(path, 4.2*vg.Inch, 3.4*vg.Inch, plots)
}

// addPath adds a grey loss curve (unless nil) and a walk along it: dots
// joined by a thin line, the first dot hollow, named in the legend when
// label is not empty.
func addPath(p *gplot.Plot, curve, steps plotter.XYs, c color.Color, label string) error {
	if curve != nil {
		line, err := plotter.NewLine(curve)
		if err != nil {
			return err
		}
		line.Color, line.Width = grey, vg.Points(2)
		p.Add(line)
	}
	path, dots, err := plotter.NewLinePoints(steps)
	if err != nil {
		return err
	}
	path.Color, path.Width = c, vg.Points(1)
	dots.Color, dots.Shape, dots.Radius = c, draw.CircleGlyph{}, vg.Points(3)
	first, err := plotter.NewScatter(steps[:1])
	if err != nil {
		return err
	}
	first.Color, first.Shape, first.Radius = c, draw.RingGlyph{}, vg.Points(5)
	p.Add(path, dots, first)
	if label != "" {
		p.Legend.Add(label, path, dots)
	}
	return nil
}

// drawValleys draws the two-valley loss and the walks from both starts.
func drawValleys(path string, walks []valleyWalk) error {
	curve := make(plotter.XYs, 161)
	for i := range curve {
		w := -2.1 + 4.2*float64(i)/float64(len(curve)-1)
		curve[i] = plotter.XY{X: w, Y: valleyLoss(w)}
	}
	p := gplot.New()
	p.Title.Text = "f(w) = (w² − 1)² + 0.5·w: two valleys"
	p.X.Label.Text, p.Y.Label.Text = "w", "loss"
	p.Add(plotter.NewGrid())
	colours := []color.Color{red, blue}
	for i, wk := range walks {
		steps := make(plotter.XYs, len(wk.w))
		for s, w := range wk.w {
			steps[s] = plotter.XY{X: w, Y: valleyLoss(w)}
		}
		if i > 0 {
			curve = nil // drawn once
		}
		label := fmt.Sprintf("from w = %g, lr %g", wk.start, valleyRate)
		if err := addPath(p, curve, steps, colours[i], label); err != nil {
			return err
		}
	}
	p.Legend.Top, p.Legend.XOffs = true, -1.3*vg.Inch // above the hill, off the curve
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	return savePanels(path, 6*vg.Inch, 3.6*vg.Inch, []*gplot.Plot{p})
}

// niceTicks labels an axis every 1, 2 or 5 times a power of ten, whichever
// gives 4 to 10 labels.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []gplot.Tick {
	step := math.Pow(10, math.Floor(math.Log10(hi-lo)))
	for _, f := range []float64{0.1, 0.2, 0.5, 1, 2, 5} {
		if (hi-lo)/(step*f) <= 10 {
			step *= f
			break
		}
	}
	var t []gplot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		v = math.Round(v/step) * step // no 0.30000000000000004
		if v == 0 {
			v = 0 // no -0
		}
		t = append(t, gplot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 6, 64)})
	}
	return t
}

// savePanels draws plots side by side, each w wide and h high, and writes
// them as a PNG at 96 dots per inch on white.
func savePanels(path string, w, h vg.Length, plots []*gplot.Plot) error {
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(len(plots))*w, h), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(18), PadTop: vg.Points(8),
		PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(12)}
	canvases := gplot.Align([][]*gplot.Plot{plots}, tiles, draw.New(img))
	for c, p := range plots {
		p.Draw(canvases[0][c])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
