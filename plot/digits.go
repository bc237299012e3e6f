package plot

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Grid geometry, in points (1/72 inch; 4/3 pixel in a PNG).
const (
	digitSide  vg.Length = 84 // 84 pt = 112 px = 28 px × 4 in a PNG
	titleH               = 16.0
	cellGap              = 10.0
	gridMargin           = 10.0
	headingH             = 26.0
)

// textStyle is the plots' default font at size pt, centred on x.
func textStyle(pt float64, clr color.Color) text.Style {
	return text.Style{
		Color:   clr,
		Font:    font.From(gplot.DefaultFont, vg.Points(pt)),
		Handler: gplot.DefaultTextHandler,
		XAlign:  draw.XCenter,
		YAlign:  draw.YTop,
	}
}

// images views x as n grey images of h×w values, ink high: x is (N, H, W),
// (N, H, W, 1), or (N, D) with D a square number (a flattened square image).
func images(x *tensor.Tensor) (n, h, w int, err error) {
	if x == nil {
		return 0, 0, 0, errors.New("plot: no images (nil tensor)")
	}
	s := x.Shape()
	switch {
	case len(s) == 3:
		n, h, w = s[0], s[1], s[2]
	case len(s) == 4 && s[3] == 1:
		n, h, w = s[0], s[1], s[2]
	case len(s) == 2:
		side := int(math.Round(math.Sqrt(float64(s[1]))))
		if side*side != s[1] {
			return 0, 0, 0, fmt.Errorf("plot: images of shape %v: %d values per row is not a square image", s, s[1])
		}
		n, h, w = s[0], side, side
	default:
		return 0, 0, 0, fmt.Errorf("plot: images of shape %v; want (N, H, W), (N, H, W, 1) or (N, H·W)", s)
	}
	if h == 0 || w == 0 {
		return 0, 0, 0, fmt.Errorf("plot: images of shape %v are empty", s)
	}
	return n, h, w, nil
}

// digitImage renders image i of x (values in [0, 1], ink high) as dark ink
// on white, as matplotlib's imshow with cmap="binary", magnified by whole
// pixels so a PNG shows each pixel as a crisp square.
func digitImage(x *tensor.Tensor, i, h, w int) image.Image {
	k := max(1, int(math.Round(float64(digitSide)*DPI/72/float64(max(h, w)))))
	img := image.NewGray(image.Rect(0, 0, w*k, h*k))
	px := x.Data()[i*h*w : (i+1)*h*w]
	for y := range h * k {
		for xx := range w * k {
			v := float64(px[(y/k)*w+xx/k])
			if math.IsNaN(v) {
				v = 0
			}
			img.Pix[y*img.Stride+xx] = uint8(math.Round(255 * (1 - min(max(v, 0), 1))))
		}
	}
	return img
}

// cell is one digit of a grid with its caption; wrong ones are marked red.
type cell struct {
	index int
	title string
	wrong bool
}

// drawGrid lays cells out cols to a row, each image under its caption,
// with an optional heading line, and saves the picture to path.
func drawGrid(path string, x *tensor.Tensor, h, w int, cells []cell, cols int, heading string) error {
	cols = max(1, min(cols, len(cells)))
	rows := (len(cells) + cols - 1) / cols
	caption := textStyle(10, color.Black)
	cellW := float64(digitSide) + 12
	for _, c := range cells {
		cellW = max(cellW, float64(caption.Width(c.title))+12)
	}
	imgW := float64(digitSide)
	imgH := imgW * float64(h) / float64(w)
	cellH := titleH + imgH + cellGap
	top := gridMargin
	if heading != "" {
		top += headingH
	}
	width := vg.Length(2*gridMargin + float64(cols)*cellW)
	height := vg.Length(top + gridMargin + float64(rows)*cellH - cellGap)
	if heading != "" {
		head := textStyle(12, color.Black)
		width = max(width, head.Width(heading)+2*gridMargin)
	}
	return save(path, width, height, func(dc draw.Canvas) error {
		if heading != "" {
			dc.FillText(textStyle(12, color.Black), vg.Point{X: width / 2, Y: height - gridMargin}, heading)
		}
		left := (float64(width) - float64(cols)*cellW) / 2
		for i, c := range cells {
			r, col := i/cols, i%cols
			x0 := left + float64(col)*cellW
			y0 := float64(height) - top - float64(r)*cellH // top of the cell
			style, frame := caption, draw.LineStyle{Color: frameGrey, Width: vg.Points(0.5)}
			if c.wrong {
				style.Color = red
				frame = draw.LineStyle{Color: red, Width: vg.Points(3)}
			}
			dc.FillText(style, vg.Point{X: vg.Length(x0 + cellW/2), Y: vg.Length(y0)}, c.title)
			rect := vg.Rectangle{
				Min: vg.Point{X: vg.Length(x0 + (cellW-imgW)/2), Y: vg.Length(y0 - titleH - imgH)},
				Max: vg.Point{X: vg.Length(x0 + (cellW+imgW)/2), Y: vg.Length(y0 - titleH)},
			}
			dc.DrawImage(rect, digitImage(x, c.index, h, w))
			dc.StrokeLines(frame, []vg.Point{rect.Min, {X: rect.Max.X, Y: rect.Min.Y}, rect.Max, {X: rect.Min.X, Y: rect.Max.Y}, rect.Min})
		}
		return nil
	})
}

// SaveDigitGrid draws the images of x — (N, 28, 28), (N, 28, 28, 1) or
// (N, 784), values in [0, 1] — cols to a row (cols ≤ 0: 10), as the
// course's imshow grid, and writes a .png or .svg file. Each digit is
// captioned with its label; when preds is given too, a wrong prediction is
// captioned "pred 9 / true 4" in red and framed in red. labels or preds may
// be nil (captions then show the other, or nothing); given, each must hold
// one entry per image.
func SaveDigitGrid(path string, x *tensor.Tensor, labels, preds []int, cols int) error {
	n, h, w, err := images(x)
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("plot: SaveDigitGrid: no images to draw")
	}
	if labels != nil && len(labels) != n {
		return fmt.Errorf("plot: SaveDigitGrid: %d labels for %d images", len(labels), n)
	}
	if preds != nil && len(preds) != n {
		return fmt.Errorf("plot: SaveDigitGrid: %d predictions for %d images", len(preds), n)
	}
	if cols <= 0 {
		cols = 10
	}
	cells := make([]cell, n)
	for i := range cells {
		c := cell{index: i}
		switch {
		case labels != nil && preds != nil && labels[i] != preds[i]:
			c.title, c.wrong = fmt.Sprintf("pred %d / true %d", preds[i], labels[i]), true
		case labels != nil:
			c.title = fmt.Sprint(labels[i])
		case preds != nil:
			c.title = fmt.Sprintf("pred %d", preds[i])
		}
		cells[i] = c
	}
	return drawGrid(path, x, h, w, cells, cols, "")
}

// SaveMostConfidentErrors draws the n misclassified images of x that the
// model was surest of — highest predicted probability for a wrong class —
// each captioned "true 4 → pred 9 (0.99)", six to a row, under a heading
// that counts the errors, and writes a .png or .svg file. probs holds the
// model's output, one row of class probabilities per image (Predict); the
// predicted class is each row's arg-max. A model with no errors gets a
// picture saying so.
func SaveMostConfidentErrors(path string, x *tensor.Tensor, yTrue []int, probs *tensor.Tensor, n int) error {
	count, h, w, err := images(x)
	if err != nil {
		return err
	}
	if len(yTrue) != count {
		return fmt.Errorf("plot: SaveMostConfidentErrors: %d labels for %d images", len(yTrue), count)
	}
	if probs == nil || probs.Rank() != 2 || probs.Dim(0) != count || probs.Dim(1) == 0 {
		shape := []int(nil)
		if probs != nil {
			shape = probs.Shape()
		}
		return fmt.Errorf("plot: SaveMostConfidentErrors: probabilities of shape %v for %d images; want (%d, classes)", shape, count, count)
	}
	if n <= 0 {
		return fmt.Errorf("plot: SaveMostConfidentErrors: n = %d; want at least 1", n)
	}
	// A NaN would be taken for class 0 and, comparing as neither more nor
	// less than any probability, scramble the surest-first order.
	if i := kernel.FirstNonFinite(probs.Data()); i >= 0 {
		return fmt.Errorf("plot: SaveMostConfidentErrors: the probabilities of image %d hold %v; want finite values (Predict's output)", i/probs.Dim(1), probs.Data()[i])
	}
	misses := confidentErrors(yTrue, probs)
	if len(misses) == 0 {
		return save(path, 4*vg.Inch, vg.Inch, func(dc draw.Canvas) error {
			dc.FillText(textStyle(12, color.Black), vg.Point{X: 2 * vg.Inch, Y: 0.6 * vg.Inch},
				fmt.Sprintf("no misclassified images among %d", count))
			return nil
		})
	}
	shown := misses[:min(n, len(misses))]
	cells := make([]cell, len(shown))
	for j, m := range shown {
		cells[j] = cell{index: m.i, title: fmt.Sprintf("true %d → pred %d (%.2f)", yTrue[m.i], m.pred, m.p), wrong: true}
	}
	heading := fmt.Sprintf("The %d most confident of %d errors (of %d images)", len(shown), len(misses), count)
	return drawGrid(path, x, h, w, cells, 6, heading)
}

// miss is one misclassified image: its index, the predicted class and the
// probability the model gave it.
type miss struct {
	i, pred int
	p       float64
}

// confidentErrors lists the rows of probs whose arg-max (first on ties,
// as tensor.ArgMax's and so the confusion matrix's) is not yTrue, surest first; equal probabilities keep index order, so the
// picture is reproducible.
func confidentErrors(yTrue []int, probs *tensor.Tensor) []miss {
	classes := probs.Dim(1)
	var misses []miss
	for i, t := range yTrue {
		row := probs.Data()[i*classes : (i+1)*classes]
		best := tensor.ArgMaxRow(row)
		if best != t {
			misses = append(misses, miss{i, best, float64(row[best])})
		}
	}
	sort.SliceStable(misses, func(a, b int) bool { return misses[a].p > misses[b].p })
	return misses
}
