package onnx

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

// Layouts.

func identity(n int) []int {
	p := make([]int, n)
	for k := range p {
		p[k] = k
	}
	return p
}

// permuted is shape in the order perm: (shape[perm[0]], shape[perm[1]], ...).
func permuted(shape, perm []int) []int {
	out := make([]int, len(perm))
	for k, a := range perm {
		out[k] = shape[a]
	}
	return out
}

// sameOrder reports whether values laid out in order p and in order q are
// in the same order in memory: the axes longer than 1 come in the same
// order.
func sameOrder(shape, p, q []int) bool {
	long := func(perm []int) []int {
		var out []int
		for _, a := range perm {
			if shape[a] != 1 {
				out = append(out, a)
			}
		}
		return out
	}
	return slices.Equal(long(p), long(q))
}

// as returns v held in the order perm with its exact shape, adding a
// Reshape (values already in that order) or a Permute.
func (im *importer) as(v *ival, perm []int) (*ival, error) {
	if v.c != nil {
		return nil, fmt.Errorf("expected a computed tensor, got a constant")
	}
	want := permuted(v.shape, perm)
	if sameOrder(v.shape, v.perm, perm) {
		return im.reshaped(v, perm, want), nil
	}
	exact := im.reshaped(v, v.perm, permuted(v.shape, v.perm))
	dims := make([]int, len(perm))
	for k, a := range perm {
		dims[k] = slices.Index(v.perm, a) + 1
	}
	t := im.callAux(layers.Permute(dims), exact)
	return &ival{t: t, shape: v.shape, perm: perm, gshape: want}, nil
}

// reshaped is v seen with shape gshape in the order perm, the same values
// in the same order: a Reshape, or nothing when t has that shape already.
func (im *importer) reshaped(v *ival, perm, gshape []int) *ival {
	w := &ival{t: v.t, shape: v.shape, perm: perm, gshape: gshape}
	if slices.Equal(v.gshape, gshape) {
		return w
	}
	if len(gshape) == 1 {
		w.t = im.callAux(layers.Flatten(), v)
		return w
	}
	w.t = im.callAux(layers.Reshape(gshape...), v)
	return w
}

// plain returns v in ONNX's order with its exact shape.
func (im *importer) plain(v *ival) (*ival, error) { return im.as(v, identity(len(v.shape))) }

// image returns v, an image (C, H, W) to ONNX, channels last.
func (im *importer) image(v *ival) (*ival, error) {
	if v.c != nil {
		return nil, fmt.Errorf("expected an image computed by the model, got a constant")
	}
	if len(v.shape) != 3 {
		return nil, fmt.Errorf("expected images (N, C, H, W), got shape %s; goras's convolution and pooling layers are 2-D", shapeString(v.shape))
	}
	return im.as(v, []int{1, 2, 0})
}

// computed returns a new computed value made by t, with ONNX shape shape
// held in order perm.
func computed(t *goras.KerasTensor, shape, perm []int) *ival {
	return &ival{t: t, shape: shape, perm: perm, gshape: permuted(shape, perm)}
}

// shapeString writes a per-sample shape with its batch axis, (N, 3, 28, 28).
func shapeString(shape []int) string {
	parts := []string{"N"}
	for _, d := range shape {
		parts = append(parts, fmt.Sprint(d))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
