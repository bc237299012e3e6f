package main

import (
	"bytes"
	"fmt"
	"image/color"
	"os"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Colours: black for what the forward pass computes, red for the
// gradients the backward pass sends back, grey for the wiring.
var (
	black = color.Black
	red   = color.RGBA{214, 39, 40, 255}
	wire  = color.RGBA{160, 160, 160, 255}
)

// The picture's size and the radius of a node, in points.
const (
	picW, picH = 8.5 * vg.Inch, 4.6 * vg.Inch
	radius     = vg.Length(20)
)

// label is a text style of the plots' font at size pt, centred on its point.
func label(pt float64, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(gplot.DefaultFont, vg.Points(pt)),
		Handler: gplot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YCenter}
}

// drawNetwork draws the network of the chapter as a graph: each node with
// its forward value in black and the gradient of the loss with respect to
// it in red; each weight on its wire, with its value and its gradient.
func drawNetwork(path string, n net, s sample, tr trace) error {
	img := vgimg.NewWith(vgimg.UseWH(picW, picH), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	c := draw.New(img)
	at := func(fx, fy float64) vg.Point { return vg.Point{X: vg.Length(fx) * picW, Y: vg.Length(fy) * picH} }
	in := [2]vg.Point{at(0.1, 0.66), at(0.1, 0.3)}
	hid := [2]vg.Point{at(0.42, 0.66), at(0.42, 0.3)}
	out, loss := at(0.7, 0.48), at(0.9, 0.48)
	for i := range 2 { // wires first, nodes over them
		for j := range 2 {
			wireLabel(c, in[i], hid[j], 0.3, n.W1[i][j], tr.grad.W1[i][j])
		}
		wireLabel(c, hid[i], out, 0.5, n.W2[i], tr.grad.W2[i])
	}
	c.StrokeLine2(draw.LineStyle{Color: wire, Width: vg.Points(1.5)}, out.X+radius, out.Y, loss.X-radius, loss.Y)
	for i := range 2 {
		node(c, in[i], fmt.Sprintf("x%d", i+1), fmt.Sprintf("x%d = %g", i+1, s.x[i]), "")
		node(c, hid[i], fmt.Sprintf("h%d", i+1),
			fmt.Sprintf("b = %.2f  z = %.3f  h = %.3f", n.B1[i], tr.z1[i], tr.h[i]),
			fmt.Sprintf("∂L/∂b = ∂L/∂z = %.4f", tr.dZ1[i]))
	}
	node(c, out, "ŷ", fmt.Sprintf("b = %.2f  ŷ = %.4f", n.B2, tr.y), fmt.Sprintf("∂L/∂ŷ = ∂L/∂b = %.4f", tr.dY))
	node(c, loss, "L", fmt.Sprintf("(ŷ − %g)² = %.4f", s.t, tr.loss), "")
	c.FillText(label(13, black), at(0.5, 0.94), "forward values in black, gradients ∂L/∂· in red")
	c.FillText(label(11, black), at(0.5, 0.06), "each wire: its weight w and, in red, ∂L/∂w")
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// node draws a circle named name at p, with a black line of values below
// it and a red line of gradients below that.
func node(c draw.Canvas, p vg.Point, name, values, grads string) {
	var circle vg.Path
	circle.Move(vg.Point{X: p.X + radius, Y: p.Y})
	circle.Arc(p, radius, 0, 2*3.141592653589793)
	circle.Close()
	c.SetColor(color.White)
	c.Fill(circle)
	c.SetLineStyle(draw.LineStyle{Color: black, Width: vg.Points(1.5)})
	c.Stroke(circle)
	c.FillText(label(14, black), p, name)
	c.FillText(label(10, black), vg.Point{X: p.X, Y: p.Y - radius - 10}, values)
	if grads != "" {
		c.FillText(label(10, red), vg.Point{X: p.X, Y: p.Y - radius - 23}, grads)
	}
}

// wireLabel draws the wire from a to b and writes, at the fraction f of
// the way, the weight w above the wire and its gradient g below it.
func wireLabel(c draw.Canvas, a, b vg.Point, f, w, g float64) {
	c.StrokeLine2(draw.LineStyle{Color: wire, Width: vg.Points(1.5)}, a.X+radius, a.Y, b.X-radius, b.Y)
	m := vg.Point{X: a.X + radius + vg.Length(f)*(b.X-a.X-2*radius), Y: a.Y + vg.Length(f)*(b.Y-a.Y)}
	boxed(c, label(10, black), vg.Point{X: m.X, Y: m.Y + 7}, fmt.Sprintf("w = %.2f", w))
	boxed(c, label(10, red), vg.Point{X: m.X, Y: m.Y - 7}, fmt.Sprintf("%.4f", g))
}

// boxed writes s at p on a white box, so that a wire passing under the
// text does not cross it out.
func boxed(c draw.Canvas, sty text.Style, p vg.Point, s string) {
	w, h := sty.Width(s)+4, sty.Height(s)
	c.SetColor(color.White)
	var box vg.Path
	box.Move(vg.Point{X: p.X - w/2, Y: p.Y - h/2})
	box.Line(vg.Point{X: p.X + w/2, Y: p.Y - h/2})
	box.Line(vg.Point{X: p.X + w/2, Y: p.Y + h/2})
	box.Line(vg.Point{X: p.X - w/2, Y: p.Y + h/2})
	box.Close()
	c.Fill(box)
	c.FillText(sty, p, s)
}
