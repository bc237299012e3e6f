package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// Constant folding: the operators that, on constants, the importer works
// out itself (shapes, axes, pads and small tensors, as exporters emit
// them around a Reshape or a Pad), and that on computed tensors become
// layers (import_shape.go).

// remap makes a constant of the given shape whose value at each index idx
// is c's value at the flat index from(idx).
func remap(c *constant, shape []int, from func(idx []int) int) (*constant, error) {
	if err := checkRank(len(shape)); err != nil {
		return nil, err
	}
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > maxFolded/d) {
			return nil, fmt.Errorf("a constant of shape %v is larger than the %d values goras works out while importing", shape, maxFolded)
		}
		n *= d
	}
	out := &constant{shape: slices.Clone(shape), isInt: c.isInt}
	if c.isInt {
		out.i = make([]int64, n)
	} else {
		out.f = make([]float32, n)
	}
	idx := make([]int, len(shape))
	for k := 0; k < n; k++ {
		src := from(idx)
		if c.isInt {
			out.i[k] = c.i[src]
		} else {
			out.f[k] = c.f[src]
		}
		for a := len(shape) - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out, nil
}

// strides are the steps between neighbours along each axis of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	step := 1
	for a := len(shape) - 1; a >= 0; a-- {
		s[a] = step
		step *= shape[a]
	}
	return s
}

// normAxis brings an axis in [-rank, rank) into [0, rank). It takes a
// file's int64 as it is, checked before any conversion to int, so that on
// 32-bit platforms an axis of 2^32 is not taken for axis 0.
func normAxis[T int | int64](a T, rank int) (int, error) {
	if int64(a) < -int64(rank) || int64(a) >= int64(rank) {
		return 0, fmt.Errorf("axis %d is outside [-%d, %d)", a, rank, rank)
	}
	if a < 0 {
		a += T(rank)
	}
	return int(a), nil
}

// intList reads a constant input of integers (axes, a shape, pads); nil
// when the input is absent.
func (im *importer) intList(n *onnxpb.NodeProto, k int, what string) ([]int64, error) {
	v := im.in(n, k)
	if v == nil {
		return nil, nil
	}
	if v.c == nil {
		return nil, fmt.Errorf("its %s (input %d) is computed by the model; goras needs it constant", what, k)
	}
	if len(v.c.shape) > 1 {
		return nil, fmt.Errorf("its %s should be a list, got shape %v", what, v.c.shape)
	}
	return v.c.ints()
}

// axesOf reads a node's axes: an attribute up to opset 12 (13 for
// Squeeze/Unsqueeze, 18 for Reduce*), an input after.
func (im *importer) axesOf(n *onnxpb.NodeProto, inputFrom int) ([]int, error) {
	if im.opset >= inputFrom {
		v, err := im.intList(n, 1, "axes")
		if err != nil || v == nil {
			return nil, err
		}
		out := make([]int, len(v))
		for k, a := range v {
			if a < -maxRank || a > maxRank {
				return nil, fmt.Errorf("axis %d is out of range", a)
			}
			out[k] = int(a)
		}
		return out, nil
	}
	return attrInts(n, "axes")
}

func importConstant(im *importer, n *onnxpb.NodeProto) error {
	var c *constant
	var err error
	switch a := n.GetAttribute(); {
	case len(a) != 1:
		return fmt.Errorf("a Constant needs exactly one attribute, got %d", len(a))
	case a[0].GetName() == "value":
		wantType(a[0], onnxpb.AttributeProto_TENSOR)
		c, err = decodeTensor(a[0].GetT())
	case a[0].GetName() == "value_float":
		wantType(a[0], onnxpb.AttributeProto_FLOAT)
		c = &constant{f: []float32{a[0].GetF()}}
	case a[0].GetName() == "value_floats":
		wantType(a[0], onnxpb.AttributeProto_FLOATS)
		c = &constant{shape: []int{len(a[0].GetFloats())}, f: slices.Clone(a[0].GetFloats())}
	case a[0].GetName() == "value_int":
		wantType(a[0], onnxpb.AttributeProto_INT)
		c = &constant{isInt: true, i: []int64{a[0].GetI()}}
	case a[0].GetName() == "value_ints":
		wantType(a[0], onnxpb.AttributeProto_INTS)
		c = &constant{shape: []int{len(a[0].GetInts())}, isInt: true, i: slices.Clone(a[0].GetInts())}
	default:
		return fmt.Errorf("a Constant's %s is not supported (goras reads value, value_float(s) and value_int(s))", a[0].GetName())
	}
	if err != nil {
		return err
	}
	im.set(n, 0, &ival{c: c})
	return nil
}

func importIdentity(im *importer, n *onnxpb.NodeProto) error {
	im.set(n, 0, im.in(n, 0))
	return nil
}

// importShape: the shape of a computed tensor has the batch size first,
// known only when the model runs (batchDim).
func importShape(im *importer, n *onnxpb.NodeProto) error {
	v := im.in(n, 0)
	var dims []int64
	if v.c != nil {
		for _, d := range v.c.shape {
			dims = append(dims, int64(d))
		}
	} else {
		dims = append(dims, batchDim)
		for _, d := range v.shape {
			dims = append(dims, int64(d))
		}
	}
	start, end := int(attrInt(n, "start", 0)), int(attrInt(n, "end", int64(len(dims))))
	clamp := func(a int) int {
		if a < 0 {
			a += len(dims)
		}
		return min(max(a, 0), len(dims))
	}
	start, end = clamp(start), clamp(end)
	if end < start {
		end = start
	}
	dims = slices.Clone(dims[start:end])
	im.set(n, 0, &ival{c: &constant{shape: []int{len(dims)}, isInt: true, i: dims}})
	return nil
}

func importConstantOfShape(im *importer, n *onnxpb.NodeProto) error {
	dims, err := im.intList(n, 0, "shape")
	if err != nil {
		return err
	}
	fill := &constant{f: []float32{0}}
	if a := attr(n, "value"); a != nil {
		if fill, err = decodeTensor(a.GetT()); err != nil {
			return err
		}
		if fill.len() != 1 {
			return fmt.Errorf("its value should hold one number, got shape %v", fill.shape)
		}
	}
	for _, d := range dims {
		if d == batchDim {
			return fmt.Errorf("its shape depends on the batch size, which goras cannot fold into a constant")
		}
	}
	shape, err := checkShape(dims, maxFolded)
	if err != nil {
		return err
	}
	c, err := remap(fill, shape, func([]int) int { return 0 })
	if err != nil {
		return err
	}
	im.set(n, 0, &ival{c: c})
	return nil
}

func importCast(im *importer, n *onnxpb.NodeProto) error {
	v := im.in(n, 0)
	to := onnxpb.TensorProto_DataType(attrInt(n, "to", 0))
	if v.c == nil {
		if to != onnxpb.TensorProto_FLOAT {
			return fmt.Errorf("it casts a computed tensor to %v; goras computes in float32 only", to)
		}
		im.set(n, 0, v)
		return nil
	}
	c := &constant{shape: v.c.shape}
	switch {
	case isFloatType(to):
		c.f = v.c.floats()
	case to == onnxpb.TensorProto_BOOL:
		c.isInt, c.i = true, make([]int64, v.c.len())
		for k, f := range v.c.floats() {
			if f != 0 {
				c.i[k] = 1
			}
		}
	case v.c.isInt:
		c.isInt, c.i = true, v.c.i
	default:
		c.isInt, c.i = true, make([]int64, v.c.len())
		for k, f := range v.c.f {
			if math.IsNaN(float64(f)) || math.Abs(float64(f)) > 1<<62 {
				return fmt.Errorf("it casts %v to an integer", f)
			}
			c.i[k] = int64(f) // toward zero, as C's cast
		}
	}
	im.set(n, 0, &ival{c: c})
	return nil
}

func importGather(im *importer, n *onnxpb.NodeProto) error {
	data, idx := im.in(n, 0), im.in(n, 1)
	if data.c == nil {
		return fmt.Errorf("it gathers from a computed tensor; goras imports Gather only on constants and shapes (as in a Flatten written x.view(x.size(0), -1))")
	}
	if idx.c == nil {
		return fmt.Errorf("its indices are computed by the model; goras needs them constant")
	}
	rank := len(data.c.shape)
	if rank == 0 {
		return fmt.Errorf("it gathers from a scalar")
	}
	axis, err := normAxis(attrInt(n, "axis", 0), rank)
	if err != nil {
		return err
	}
	is, err := idx.c.ints()
	if err != nil {
		return err
	}
	// ints gives an integer constant's own values, which other nodes may
	// read too (an initializer shared by two Gathers): the negative
	// indices are made positive in a copy.
	is = slices.Clone(is)
	size := data.c.shape[axis]
	for k, i := range is {
		if i < -int64(size) || i >= int64(size) {
			return fmt.Errorf("index %d is outside [-%d, %d)", i, size, size)
		}
		if i < 0 {
			is[k] = i + int64(size)
		}
	}
	shape := slices.Concat(data.c.shape[:axis], idx.c.shape, data.c.shape[axis+1:])
	ds, is2 := strides(data.c.shape), strides(idx.c.shape)
	qr := len(idx.c.shape)
	c, err := remap(data.c, shape, func(o []int) int {
		src, at := 0, 0
		for a := 0; a < qr; a++ {
			at += o[axis+a] * is2[a]
		}
		for a := 0; a < axis; a++ {
			src += o[a] * ds[a]
		}
		src += int(is[at]) * ds[axis]
		for a := axis + 1; a < rank; a++ {
			src += o[a+qr-1] * ds[a]
		}
		return src
	})
	if err != nil {
		return err
	}
	im.set(n, 0, &ival{c: c})
	return nil
}

// foldTranspose permutes a constant's axes (perm nil: reversed).
func foldTranspose(c *constant, perm []int) (*constant, error) {
	rank := len(c.shape)
	if perm == nil {
		for a := rank - 1; a >= 0; a-- {
			perm = append(perm, a)
		}
	}
	if len(perm) != rank || !isPerm(perm) {
		return nil, fmt.Errorf("perm %v is not a permutation of %d axes", perm, rank)
	}
	ss := strides(c.shape)
	return remap(c, permuted(c.shape, perm), func(o []int) int {
		src := 0
		for a, p := range perm {
			src += o[a] * ss[p]
		}
		return src
	})
}

func isPerm(p []int) bool {
	seen := make([]bool, len(p))
	for _, a := range p {
		if a < 0 || a >= len(p) || seen[a] {
			return false
		}
		seen[a] = true
	}
	return true
}

// foldReshape gives a constant a new shape: 0 copies the size of the same
// axis (unless allowzero), -1 is inferred.
func foldReshape(c *constant, target []int64, allowZero bool) (*constant, error) {
	if err := checkRank(len(target)); err != nil {
		return nil, err
	}
	shape := make([]int, len(target))
	free, known := -1, 1
	for k, d := range target {
		switch {
		case d == -1 && free < 0:
			free = k
			continue
		case d == 0 && !allowZero:
			if k >= len(c.shape) {
				return nil, fmt.Errorf("shape %v copies axis %d, which %v lacks", target, k, c.shape)
			}
			shape[k] = c.shape[k]
		case d < 0 || d > maxDim:
			return nil, fmt.Errorf("shape %v has a size outside [0, %d]", target, maxDim)
		default:
			shape[k] = int(d)
		}
		known *= shape[k]
		if known > maxFolded {
			return nil, fmt.Errorf("shape %v is too large", target)
		}
	}
	if free >= 0 {
		if known == 0 || c.len()%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", c.shape, target)
		}
		shape[free] = c.len() / known
	}
	if numel(shape) != c.len() {
		return nil, fmt.Errorf("cannot reshape %v (%d values) to %v", c.shape, c.len(), target)
	}
	return &constant{shape: shape, f: c.f, i: c.i, isInt: c.isInt}, nil
}

// foldConcat joins constants of one type along axis.
func foldConcat(cs []*constant, axis int) (*constant, error) {
	rank := len(cs[0].shape)
	axis, err := normAxis(axis, rank)
	if err != nil {
		return nil, err
	}
	shape := slices.Clone(cs[0].shape)
	shape[axis] = 0
	anyFloat := false
	for _, c := range cs {
		if len(c.shape) != rank {
			return nil, fmt.Errorf("it joins constants of shapes %v and %v", cs[0].shape, c.shape)
		}
		for a := range rank {
			if a != axis && c.shape[a] != cs[0].shape[a] {
				return nil, fmt.Errorf("it joins constants of shapes %v and %v along axis %d", cs[0].shape, c.shape, axis)
			}
		}
		shape[axis] += c.shape[axis]
		anyFloat = anyFloat || !c.isInt
	}
	if numel(shape) > maxFolded {
		return nil, fmt.Errorf("the result is larger than %d values", maxFolded)
	}
	out := &constant{shape: shape, isInt: !anyFloat}
	outer := numel(shape[:axis])
	for o := 0; o < outer; o++ {
		for _, c := range cs {
			block := numel(c.shape[axis:])
			if anyFloat {
				out.f = append(out.f, c.floats()[o*block:(o+1)*block]...)
			} else {
				out.i = append(out.i, c.i[o*block:(o+1)*block]...)
			}
		}
	}
	return out, nil
}

// foldAxes inserts (unsqueeze) or removes (squeeze) axes of size 1.
func foldAxes(c *constant, axes []int, insert bool) (*constant, error) {
	shape := slices.Clone(c.shape)
	if insert {
		rank := len(shape) + len(axes)
		if err := checkRank(rank); err != nil {
			return nil, err
		}
		norm := make([]int, len(axes))
		for k, a := range axes {
			var err error
			if norm[k], err = normAxis(a, rank); err != nil {
				return nil, err
			}
		}
		slices.Sort(norm)
		if len(slices.Compact(slices.Clone(norm))) != len(norm) {
			return nil, fmt.Errorf("axes %v list an axis twice", axes)
		}
		for _, a := range norm {
			shape = slices.Insert(shape, a, 1)
		}
	} else {
		if axes == nil {
			for a, d := range c.shape {
				if d == 1 {
					axes = append(axes, a)
				}
			}
		}
		drop := map[int]bool{}
		for _, a := range axes {
			a, err := normAxis(a, len(c.shape))
			if err != nil {
				return nil, err
			}
			if c.shape[a] != 1 {
				return nil, fmt.Errorf("it squeezes axis %d of size %d", a, c.shape[a])
			}
			drop[a] = true
		}
		shape = shape[:0]
		for a, d := range c.shape {
			if !drop[a] {
				shape = append(shape, d)
			}
		}
	}
	return &constant{shape: shape, f: c.f, i: c.i, isInt: c.isInt}, nil
}
