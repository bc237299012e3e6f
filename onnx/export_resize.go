package onnx

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// Exports of the layers that change an image's size: UpSampling2D,
// Resizing, CenterCrop and RandomCrop (at inference). All work on the
// channels-first image, as ONNX's Resize is meant to.

// exportUpSampling is Resize by the layer's whole factors: nearest with
// asymmetric coordinates and floor (output pixel o reads input ⌊o/s⌋, the
// repetition goras does), or linear with half-pixel centres.
func exportUpSampling(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.UpSampling2DLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.UpSampling2DLayer, got %T", c.l)
	}
	s := l.Size()
	scales := g.addFloats(g.prefix+"/scales", []float32{1, 1, float32(s[0]), float32(s[1])}, []int{4})
	attrs := []Attribute{AttrString("mode", "nearest"), AttrString("coordinate_transformation_mode", "asymmetric"),
		AttrString("nearest_mode", "floor")}
	if l.Interpolation() == "bilinear" {
		attrs = []Attribute{AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "half_pixel")}
	}
	return g.Node("Resize", []string{g.channelsFirst(c.ins[0]), "", scales}, attrs...), true, nil
}

// exportResizing writes the resampling Resizing's Build worked out.
func exportResizing(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.ResizingLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.ResizingLayer, got %T", c.l)
	}
	return g.resample(c.ins[0], l.Resample())
}

// exportRandomCrop writes what RandomCrop does at inference: its centred
// window resized to the output.
func exportRandomCrop(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.RandomCropLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.RandomCropLayer, got %T", c.l)
	}
	return g.resample(c.ins[0], l.Resample())
}

// exportCenterCrop is a Slice of the rows and columns kept, or for an
// image smaller than the output the resampling Build worked out.
func exportCenterCrop(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.CenterCropLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.CenterCropLayer, got %T", c.l)
	}
	crop, r := l.Window()
	if r != nil {
		return g.resample(c.ins[0], *r)
	}
	in := g.shape(c.ins[0])
	return g.imageWindow(g.channelsFirst(c.ins[0]), crop[0], in[0]-crop[1], crop[2], in[1]-crop[3], 0), true, nil
}

// resample writes goras's Resize op (autograd.Resample) on image x: the
// window of rows and columns it reads (Slice, and Pad with the fill
// value where the window passes the edge), then, unless the window has
// the output's size already, a Resize to it with half-pixel centres:
// linear, or nearest rounding halves up, which is goras's nearest
// (output o reads window index ⌊(o+½)·span/out⌋). Where that index is a
// tie and out/span is not exact in float32, a runtime's rounding could
// go either way; those axes are a Gather of goras's own indices instead.
func (g *Graph) resample(x string, r autograd.Resample) (string, bool, error) {
	in := g.shape(x)
	if len(in) != 3 || r.Height <= 0 || r.Width <= 0 {
		return "", false, fmt.Errorf("expected an image (H, W, C) and a resampling to a positive size, got %v and %+v", in, r)
	}
	rows, cols := r.Rows, r.Cols
	if rows == 0 {
		rows = in[0]
	}
	if cols == 0 {
		cols = in[1]
	}
	y := g.imageWindow(g.channelsFirst(x), r.Top, r.Top+rows, r.Left, r.Left+cols, r.Fill)
	if rows == r.Height && cols == r.Width {
		return y, true, nil // every output pixel sits on a window pixel
	}
	if r.Nearest && (!nearestTieSafe(rows, r.Height) || !nearestTieSafe(cols, r.Width)) {
		y = g.Node("Gather", []string{y, g.Int64s("rows", nearestIndices(rows, r.Height)...)}, AttrInt("axis", 2))
		return g.Node("Gather", []string{y, g.Int64s("cols", nearestIndices(cols, r.Width)...)}, AttrInt("axis", 3)), true, nil
	}
	// sizes (N, C, Height, Width), N taken from y as the model runs.
	nc := g.Node("Slice", []string{g.Node("Shape", []string{y}), g.Int64s("starts", 0), g.Int64s("ends", 2)})
	sizes := g.Node("Concat", []string{nc, g.Int64s("size", int64(r.Height), int64(r.Width))}, AttrInt("axis", 0))
	attrs := []Attribute{AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "half_pixel")}
	if r.Nearest {
		attrs = []Attribute{AttrString("mode", "nearest"), AttrString("coordinate_transformation_mode", "half_pixel"),
			AttrString("nearest_mode", "round_prefer_ceil")}
	}
	return g.Node("Resize", []string{y, "", "", sizes}, attrs...), true, nil
}

// imageWindow is rows [top, bottom) and columns [left, right) of the
// channels-first image x, which may pass its edges: those rows and columns
// are fill.
func (g *Graph) imageWindow(x string, top, bottom, left, right int, fill float32) string {
	s := g.shape(x) // goras's order: H, W, C
	h, w := s[0], s[1]
	pads := []int{max(-top, 0), max(-left, 0), max(bottom-h, 0), max(right-w, 0)}
	if pads[0]+pads[1]+pads[2]+pads[3] > 0 {
		p := g.Int64s("pads", 0, 0, int64(pads[0]), int64(pads[1]), 0, 0, int64(pads[2]), int64(pads[3]))
		x = g.Node("Pad", []string{x, p, g.scalar("fill", fill)}, AttrString("mode", "constant"))
		top, bottom, left, right = top+pads[0], bottom+pads[0], left+pads[1], right+pads[1]
		h, w = h+pads[0]+pads[2], w+pads[1]+pads[3]
	}
	if top == 0 && left == 0 && bottom == h && right == w {
		return x
	}
	starts, ends := g.Int64s("starts", int64(top), int64(left)), g.Int64s("ends", int64(bottom), int64(right))
	return g.Node("Slice", []string{x, starts, ends, g.Int64s("axes", 2, 3)})
}

// nearestIndices are the window indices goras's nearest resampling reads
// for out values from span: ⌊(o+½)·span/out⌋, worked out in integers.
func nearestIndices(span, out int) []int64 {
	idx := make([]int64, out)
	for o := range idx {
		idx[o] = int64(min((2*o+1)*span/(2*out), span-1))
	}
	return idx
}

// nearestTieSafe reports whether a Resize from span to out values
// (nearest, half-pixel, halves rounded up) reads goras's indices whatever
// the runtime's float rounding: no output sits exactly halfway between two
// inputs, or the scale out/span is exact in float32, so that the halves
// are computed exactly and round up as goras's do.
func nearestTieSafe(span, out int) bool {
	if s := float32(out) / float32(span); float64(s)*float64(span) == float64(out) {
		return true
	}
	for o := 0; o < out; o++ {
		if (2*o+1)*span%(2*out) == 0 {
			return false
		}
	}
	return true
}
