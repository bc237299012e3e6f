// Package plot draws what the course looks at with matplotlib, without
// Python: training curves from a History or its CSV log, a grid of digits
// with their labels and predictions (imshow), a confusion-matrix heat map
// and the most confidently misclassified digits. Each Save function writes
// one PNG or SVG file, chosen by the path's extension, atomically (a
// temporary file renamed over the path), so a reader never sees half a
// picture.
//
//	hist, _ := model.Fit(ctx, x, y, goras.Epochs(10), goras.ValidationData(xt, yt))
//	plot.SaveCurves(hist, "curves.png")
//	probs, _ := model.Predict(xt)
//	pred := tensor.ArgMax(probs)
//	plot.SaveDigitGrid("digits.png", xt.Slice(0, 24), labels[:24], pred[:24], 8)
//	plot.SaveConfusion("confusion.png", metrics.ConfusionMatrix(labels, pred, 10))
//	plot.SaveMostConfidentErrors("errors.png", xt, labels, probs, 12)
//
// Drawing is done by gonum.org/v1/plot with its embedded Liberation fonts,
// so the pictures look the same on every machine.
package plot

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras/internal/atomicfile"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution of PNG files: 96 dots per inch, vgimg's default,
// so 1 point is 4/3 pixels.
const DPI = 96

// newCanvas makes a w×h canvas for the format path's extension names:
// ".png" or ".svg". White background for PNG, as SVG viewers show.
func newCanvas(path string, w, h vg.Length) (vg.CanvasWriterTo, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(white))
		return vgimg.PngCanvas{Canvas: c}, nil
	case ".svg":
		c := vgsvg.New(w, h)
		dc := draw.New(c)
		dc.SetColor(white)
		dc.Fill(dc.Rectangle.Path())
		return c, nil
	}
	return nil, fmt.Errorf("plot: %q: the file name must end in .png or .svg", path)
}

// save draws onto a new canvas for path and writes it atomically, through
// internal/atomicfile: a new picture is readable by all (0644 minus the
// umask), a symbolic link writes its target, a read-only file is refused.
func save(path string, w, h vg.Length, paint func(draw.Canvas) error) error {
	c, err := newCanvas(path, w, h)
	if err != nil {
		return err
	}
	if err := paint(draw.New(c)); err != nil {
		return err
	}
	err = atomicfile.Write(path, func(f io.Writer) error {
		_, err := c.WriteTo(f)
		return err
	})
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
