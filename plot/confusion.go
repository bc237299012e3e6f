package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/goras-ml/goras/metrics"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// blues is a white-to-navy ramp like matplotlib's "Blues", the colour map
// of sklearn's ConfusionMatrixDisplay.
type blues struct{}

func (blues) Colors() []color.Color {
	lo, hi := [3]float64{247, 251, 255}, [3]float64{8, 48, 107}
	out := make([]color.Color, 256)
	for i := range out {
		t := float64(i) / 255
		var c [3]uint8
		for k := range c {
			c[k] = uint8(math.Round(lo[k] + (hi[k]-lo[k])*t))
		}
		out[i] = color.RGBA{c[0], c[1], c[2], 255}
	}
	return out
}

// confusionGrid shows a Confusion as a heat map: column c is predicted
// class c, row r is true class n-1-r, so true class 0 is on top as in a
// printed matrix.
type confusionGrid struct {
	c     *metrics.Confusion
	shade [][]float64 // by true class, predicted class
}

func (g confusionGrid) Dims() (int, int)   { n := g.c.Classes(); return n, n }
func (g confusionGrid) Z(c, r int) float64 { return g.shade[g.c.Classes()-1-r][c] }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }

// Confusion returns a heat map of c: one cell per (true, predicted) pair
// with its count written in it, true classes down the side ("true", class
// 0 on top) and predicted ones along the bottom ("predicted"). A cell's
// shade is the square root of its share of the true class's samples, so
// the diagonal is dark and even a few confusions show as a light tint.
func Confusion(c *metrics.Confusion) (*gplot.Plot, error) {
	if c == nil || c.Classes() == 0 {
		return nil, errors.New("plot: an empty confusion matrix")
	}
	n := c.Classes()
	// Counts is exported, so a matrix may be made by hand: a short row
	// would index out of range, a negative count shade a cell NaN.
	for t, row := range c.Counts {
		if len(row) != n {
			return nil, fmt.Errorf("plot: confusion matrix row %d has %d counts for %d classes; want a square matrix (metrics.ConfusionMatrix)", t, len(row), n)
		}
		for p, v := range row {
			if v < 0 {
				return nil, fmt.Errorf("plot: confusion matrix count (true %d, predicted %d) is %d; counts cannot be negative", t, p, v)
			}
		}
	}
	g := confusionGrid{c: c, shade: make([][]float64, n)}
	for t := range n {
		g.shade[t] = make([]float64, n)
		if s := c.Support(t); s > 0 {
			for p, v := range c.Counts[t] {
				g.shade[t][p] = math.Sqrt(float64(v) / float64(s))
			}
		}
	}
	p := gplot.New()
	p.Title.Text = fmt.Sprintf("Confusion matrix: accuracy %.2f%% of %d", 100*c.Accuracy(), c.Total())
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text, p.Y.Label.Text = "predicted", "true"
	p.X.Label.TextStyle.Font.Size = vg.Points(12)
	p.Y.Label.TextStyle.Font.Size = vg.Points(12)
	var xt, yt []gplot.Tick
	for k := range n {
		name := strconv.Itoa(k)
		if k < len(c.Labels) {
			name = c.Labels[k]
		}
		xt = append(xt, gplot.Tick{Value: float64(k), Label: name})
		yt = append(yt, gplot.Tick{Value: float64(n - 1 - k), Label: name})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = gplot.ConstantTicks(xt), gplot.ConstantTicks(yt)
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = vg.Points(11), vg.Points(11)
	p.X.Padding, p.Y.Padding = 0, 0

	hm := plotter.NewHeatMap(g, blues{})
	hm.Min, hm.Max = 0, 1
	p.Add(hm)

	var xy plotter.XYs
	var texts []string
	for t := range n {
		for q := range n {
			xy = append(xy, plotter.XY{X: float64(q), Y: float64(n - 1 - t)})
			texts = append(texts, strconv.Itoa(c.Counts[t][q]))
		}
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: texts})
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	size := vg.Points(max(7, min(12, 110/float64(n))))
	for i := range labels.TextStyle {
		st := &labels.TextStyle[i]
		st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
		st.Font.Size = size
		st.Color = color.Black
		if g.shade[i/n][i%n] > 0.6 { // white on the dark cells
			st.Color = color.White
		}
	}
	p.Add(labels)
	return p, nil
}

// SaveConfusion draws c as a heat map with counts (see Confusion) and
// writes it to path, a .png or .svg file.
func SaveConfusion(path string, c *metrics.Confusion) error {
	p, err := Confusion(c)
	if err != nil {
		return err
	}
	side := vg.Length(max(5.5, 0.55*float64(c.Classes())+1.5)) * vg.Inch
	return save(path, side, side, func(dc draw.Canvas) error {
		m := vg.Points(10)
		p.Draw(draw.Crop(dc, m, -m, m, -m))
		return nil
	})
}
