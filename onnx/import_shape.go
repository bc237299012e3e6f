package onnx

import (
	"fmt"
	"slices"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// Operators that move values around: on constants they are folded
// (import_fold.go); on computed tensors they become Flatten, Reshape,
// Concatenate and Cropping2D layers, or nothing at all (a Transpose,
// Squeeze or Unsqueeze only changes how the importer reads the tensor).

// importFlatten: Flatten makes (d0·…·d(axis-1), d(axis)·…), always two
// axes. On a computed tensor d0 is the batch, so only axis 1, or a later
// one past sizes of 1, keeps the batch axis alone: a Flatten of each
// sample.
func importFlatten(im *importer, n *onnxpb.NodeProto) error {
	v := im.in(n, 0)
	rank := len(v.shape) + 1
	if v.c != nil {
		rank = len(v.c.shape)
	}
	// axis is in [-r, r], r itself allowed: a negative one counts back
	// from r, not from r+1.
	axis := attrInt(n, "axis", 1)
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis > int64(rank) {
		return fmt.Errorf("axis %d is outside [-%d, %d]", attrInt(n, "axis", 1), rank, rank)
	}
	a := int(axis)
	if v.c != nil {
		c, err := foldReshape(v.c, []int64{int64(numel(v.c.shape[:a])), -1}, false)
		if err != nil {
			return err
		}
		im.set(n, 0, &ival{c: c})
		return nil
	}
	if a == 0 {
		return fmt.Errorf("axis 0 folds the batch axis into the others; goras keeps the batch axis first")
	}
	if lead := v.shape[:a-1]; numel(lead) != 1 {
		return fmt.Errorf("axis %d of %s folds axes of sizes %v into the batch axis, (N·%d, %d); goras keeps the batch axis first and alone (axis 1 flattens each sample)",
			a, shapeString(v.shape), lead, numel(lead), numel(v.shape[a-1:]))
	}
	return im.reshapeTo(n, v, []int{numel(v.shape)})
}

// reshapeTo gives a computed tensor a new per-sample shape, its values in
// ONNX's order: a Flatten or a Reshape, or nothing when it has that shape.
func (im *importer) reshapeTo(n *onnxpb.NodeProto, v *ival, target []int) error {
	if numel(target) != numel(v.shape) {
		return fmt.Errorf("cannot reshape %s to %s: the number of values per sample differs", shapeString(v.shape), shapeString(target))
	}
	id := identity(len(v.shape))
	if !sameOrder(v.shape, v.perm, id) {
		if len(target) == 1 && im.onlyDenseReads(n.GetOutput()[0]) {
			return im.flattenHeld(n, v)
		}
		var err error
		if v, err = im.plain(v); err != nil {
			return err
		}
	}
	w := &ival{t: v.t, shape: target, perm: identity(len(target)), gshape: v.gshape}
	im.set(n, 0, im.reshaped(w, w.perm, target))
	return nil
}

// onlyDenseReads reports whether every reader of a value is a Gemm or
// MatMul taking it as x, so that the order of its features may be folded
// into their weights.
func (im *importer) onlyDenseReads(name string) bool {
	rs := im.readers[name]
	for _, r := range rs {
		op := r.GetOpType()
		if op != "Gemm" && op != "MatMul" || r.GetInput()[0] != name || slices.Contains(r.GetInput()[1:], name) {
			return false
		}
	}
	return len(rs) > 0 && !im.outputs[name]
}

// flattenHeld flattens v in the order goras holds it (an image channels
// last, where PyTorch flattens channels first) and records which ONNX
// feature each value is, for the Dense layers reading it to take their
// kernel's rows in that order: the same function as a Permute then a
// Flatten, without the copy.
func (im *importer) flattenHeld(n *onnxpb.NodeProto, v *ival) error {
	x, err := im.as(v, v.perm)
	if err != nil {
		return err
	}
	size := numel(v.shape)
	t := im.callAux(layers.Flatten(), x)
	order := make([]int, size)
	st := strides(v.shape)
	idx := make([]int, len(v.perm)) // an odometer over the held shape
	held := permuted(v.shape, v.perm)
	for j := range order {
		for k, a := range v.perm {
			order[j] += idx[k] * st[a]
		}
		for k := len(idx) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < held[k] {
				break
			}
			idx[k] = 0
		}
	}
	im.set(n, 0, &ival{t: t, shape: []int{size}, perm: []int{0}, gshape: []int{size}, order: order})
	return nil
}

func importReshape(im *importer, n *onnxpb.NodeProto) error {
	v := im.in(n, 0)
	target, err := im.intList(n, 1, "shape")
	if err != nil {
		return err
	}
	if im.opset < 5 || target == nil {
		return fmt.Errorf("it has no shape input")
	}
	allowZero := attrInt(n, "allowzero", 0) != 0
	if v.c != nil {
		c, err := foldReshape(v.c, target, allowZero)
		if err != nil {
			return err
		}
		im.set(n, 0, &ival{c: c})
		return nil
	}
	shape, err := sampleShape(v.shape, target, allowZero)
	if err != nil {
		return err
	}
	return im.reshapeTo(n, v, shape)
}

// sampleShape reads a Reshape's target for a computed tensor of per-sample
// shape in. Its first entry is the batch: the batch size from Shape, 0
// (copy), -1 or any number, so long as the others keep the values of a
// sample together. In the others, 0 copies the input's size on that axis
// and -1 is inferred.
func sampleShape(in []int, target []int64, allowZero bool) ([]int, error) {
	if len(target) == 0 {
		return nil, fmt.Errorf("it reshapes to a scalar, dropping the batch axis")
	}
	if err := checkRank(len(target)); err != nil {
		return nil, err
	}
	if allowZero && slices.Contains(target, 0) {
		return nil, fmt.Errorf("shape %v has sizes of 0 (allowzero)", target)
	}
	out := make([]int, len(target)-1)
	free, known := -1, 1
	for k, d := range target[1:] {
		switch {
		case d == -1 && free < 0:
			free = k
			continue
		case d == 0:
			if k >= len(in) {
				return nil, fmt.Errorf("shape %v copies axis %d, which the input %s lacks", target, k+1, shapeString(in))
			}
			out[k] = in[k]
		case d < 1 || d > maxDim:
			return nil, fmt.Errorf("shape %v: goras keeps the batch axis first and needs every other size known (at most one -1)", target)
		default:
			out[k] = int(d)
		}
		known *= out[k]
		if known > maxLayerValues {
			return nil, fmt.Errorf("shape %v is too large", target)
		}
	}
	size := numel(in)
	if free >= 0 {
		if size%known != 0 {
			return nil, fmt.Errorf("cannot reshape %s to %v", shapeString(in), target)
		}
		out[free] = size / known
	}
	if numel(out) != size {
		return nil, fmt.Errorf("cannot reshape %s to %v: goras keeps each sample's values together, the batch axis first", shapeString(in), target)
	}
	return out, nil
}

// importTranspose only changes the order in which the importer reads a
// computed tensor; the batch axis must stay first.
func importTranspose(im *importer, n *onnxpb.NodeProto) error {
	v := im.in(n, 0)
	perm, err := attrInts(n, "perm")
	if err != nil {
		return err
	}
	if v.c != nil {
		c, err := foldTranspose(v.c, perm)
		if err != nil {
			return err
		}
		im.set(n, 0, &ival{c: c})
		return nil
	}
	rank := len(v.shape) + 1
	if perm == nil {
		return fmt.Errorf("it reverses every axis, the batch axis among them; goras keeps the batch axis first")
	}
	if len(perm) != rank || !isPerm(perm) || perm[0] != 0 {
		return fmt.Errorf("perm %v should permute the %d axes of %s, keeping the batch axis 0 first", perm, rank, shapeString(v.shape))
	}
	// Output axis k is input axis q[k]; input axis a becomes output axis inv[a].
	q := make([]int, rank-1)
	inv := make([]int, rank-1)
	for k := range q {
		q[k] = perm[k+1] - 1
		inv[q[k]] = k
	}
	w := &ival{t: v.t, shape: permuted(v.shape, q), perm: make([]int, len(v.perm)), gshape: v.gshape}
	for k, a := range v.perm {
		w.perm[k] = inv[a]
	}
	im.set(n, 0, w)
	return nil
}

func importSqueeze(im *importer, n *onnxpb.NodeProto) error   { return im.squeeze(n, false) }
func importUnsqueeze(im *importer, n *onnxpb.NodeProto) error { return im.squeeze(n, true) }

// squeeze removes (or inserts) axes of size 1: on a computed tensor, only
// the importer's reading of it changes.
func (im *importer) squeeze(n *onnxpb.NodeProto, insert bool) error {
	v := im.in(n, 0)
	axes, err := im.axesOf(n, 13)
	if err != nil {
		return err
	}
	if v.c != nil {
		c, err := foldAxes(v.c, axes, insert)
		if err != nil {
			return err
		}
		im.set(n, 0, &ival{c: c})
		return nil
	}
	w := &ival{t: v.t, shape: slices.Clone(v.shape), perm: slices.Clone(v.perm), gshape: v.gshape}
	if insert {
		rank := len(v.shape) + 1 + len(axes)
		if err := checkRank(rank); err != nil {
			return err
		}
		norm := make([]int, len(axes))
		for k, a := range axes {
			if norm[k], err = normAxis(a, rank); err != nil {
				return err
			}
		}
		slices.Sort(norm)
		if len(slices.Compact(slices.Clone(norm))) != len(norm) {
			return fmt.Errorf("axes %v list an axis twice", axes)
		}
		for _, a := range norm {
			if a == 0 {
				return fmt.Errorf("it inserts an axis before the batch axis; goras keeps the batch axis first")
			}
			w.insertAxis(a - 1)
		}
	} else {
		if axes == nil {
			for a, d := range v.shape {
				if d == 1 {
					axes = append(axes, a+1)
				}
			}
		}
		drop := make([]int, 0, len(axes))
		for _, a := range axes {
			a, err := normAxis(a, len(v.shape)+1)
			if err != nil {
				return err
			}
			if a == 0 || v.shape[a-1] != 1 || slices.Contains(drop, a-1) {
				return fmt.Errorf("it squeezes axis %d of %s, which is not of size 1, is the batch axis or is listed twice", a, shapeString(v.shape))
			}
			drop = append(drop, a-1)
		}
		slices.Sort(drop)
		for k := len(drop) - 1; k >= 0; k-- {
			w.removeAxis(drop[k])
		}
	}
	im.set(n, 0, w)
	return nil
}

// insertAxis adds an axis of size 1 at a (per sample), held last.
func (v *ival) insertAxis(a int) {
	for k, p := range v.perm {
		if p >= a {
			v.perm[k] = p + 1
		}
	}
	v.perm = append(v.perm, a)
	v.shape = slices.Insert(v.shape, a, 1)
}

// removeAxis drops the axis a (per sample), of size 1.
func (v *ival) removeAxis(a int) {
	k := slices.Index(v.perm, a)
	v.perm = slices.Delete(v.perm, k, k+1)
	for k, p := range v.perm {
		if p > a {
			v.perm[k] = p - 1
		}
	}
	v.shape = slices.Delete(v.shape, a, a+1)
}

func importConcat(im *importer, n *onnxpb.NodeProto) error {
	var vs []*ival
	consts := 0
	for k := range n.GetInput() {
		if v := im.in(n, k); v != nil {
			vs = append(vs, v)
			if v.c != nil {
				consts++
			}
		}
	}
	if len(vs) == 0 {
		return fmt.Errorf("it has no input")
	}
	axis := int(attrInt(n, "axis", 0))
	if consts == len(vs) {
		cs := make([]*constant, len(vs))
		for k, v := range vs {
			cs[k] = v.c
		}
		c, err := foldConcat(cs, axis)
		if err != nil {
			return err
		}
		im.set(n, 0, &ival{c: c})
		return nil
	}
	if consts > 0 {
		return fmt.Errorf("it joins computed tensors with constants; goras's Concatenate joins computed tensors only")
	}
	if len(vs) == 1 {
		im.set(n, 0, vs[0])
		return nil
	}
	return im.concatenate(n, vs, axis)
}

// concatenate joins computed tensors, all held in the first one's order.
func (im *importer) concatenate(n *onnxpb.NodeProto, vs []*ival, axis int) error {
	rank := len(vs[0].shape) + 1
	axis, err := normAxis(axis, rank)
	if err != nil {
		return err
	}
	if axis == 0 {
		return fmt.Errorf("it joins along the batch axis; goras joins samples, not batches")
	}
	a := axis - 1
	shape := slices.Clone(vs[0].shape)
	shape[a] = 0
	perm := vs[0].perm
	ins := make([]*ival, len(vs))
	for k, v := range vs {
		if len(v.shape) != len(shape) {
			return fmt.Errorf("it joins %s and %s, of different ranks", shapeString(vs[0].shape), shapeString(v.shape))
		}
		for b := range shape {
			if b != a && v.shape[b] != vs[0].shape[b] {
				return fmt.Errorf("it joins %s and %s along axis %d: the other axes must match", shapeString(vs[0].shape), shapeString(v.shape), axis)
			}
		}
		shape[a] += v.shape[a]
		if ins[k], err = im.as(v, perm); err != nil {
			return err
		}
	}
	t := im.call(layers.Concatenate(layers.WithAxis(slices.Index(perm, a)+1)), nil, ins...)
	im.set(n, 0, computed(t, shape, perm))
	return nil
}

// sliceImage is a Slice of a computed image's rows and columns that keeps
// a run of them (step 1, or any step that takes one row or column, as one
// longer than the axis does): a Cropping2D.
func (im *importer) sliceImage(n *onnxpb.NodeProto, v *ival, starts, ends, axes, steps []int64) error {
	if len(v.shape) != 3 {
		return fmt.Errorf("it slices a computed tensor of shape %s; goras imports Slice on constants, and on the rows and columns of images (a Cropping2D)", shapeString(v.shape))
	}
	crop := [2][2]int{}
	for k := range starts {
		raw := int64(k)
		if axes != nil {
			raw = axes[k]
		}
		a, err := normAxis(raw, 4)
		if err != nil {
			return err
		}
		if a < 2 {
			return fmt.Errorf("it slices axis %d of an image; goras crops only rows and columns (axes 2 and 3)", a)
		}
		size := v.shape[a-1]
		b, step, count := sliceAxis(starts[k], ends[k], stepOf(steps, k), size)
		switch {
		case count == 0:
			return fmt.Errorf("it slices axis %d to nothing", a)
		case count > 1 && step != 1:
			return fmt.Errorf("it takes %d of the %d cells of axis %d with step %d; goras crops rows and columns (axes 2 and 3) with step 1, or takes one row or column", count, size, a, step)
		}
		crop[a-2] = [2]int{b, size - b - count}
	}
	x, err := im.image(v)
	if err != nil {
		return err
	}
	t := im.call(layers.Cropping2D(crop[0][0], crop[0][1], crop[1][0], crop[1][1]), nil, x)
	shape := []int{v.shape[0], v.shape[1] - crop[0][0] - crop[0][1], v.shape[2] - crop[1][0] - crop[1][1]}
	im.set(n, 0, computed(t, shape, []int{1, 2, 0}))
	return nil
}
