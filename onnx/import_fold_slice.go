package onnx

import (
	"fmt"
	"slices"

	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// foldSlice slices a constant: starts, ends, axes and steps as ONNX's
// Slice (see sliceAxis), steps checked non-zero by importSlice.
func foldSlice(c *constant, starts, ends, axes, steps []int64) (*constant, error) {
	rank := len(c.shape)
	begin, step, shape := make([]int, rank), make([]int, rank), slices.Clone(c.shape)
	for a := range step {
		step[a] = 1
	}
	if axes == nil && len(starts) > rank { // without axes, value k of starts is for axis k
		return nil, fmt.Errorf("starts %v slice %d axes of a constant of shape %v", starts, len(starts), c.shape)
	}
	for k := range starts {
		a := k
		if axes != nil {
			var err error
			if a, err = normAxis(axes[k], rank); err != nil {
				return nil, err
			}
		}
		begin[a], step[a], shape[a] = sliceAxis(starts[k], ends[k], stepOf(steps, k), c.shape[a])
	}
	ss := strides(c.shape)
	return remap(c, shape, func(o []int) int {
		src := 0
		for a := range rank {
			src += (begin[a] + o[a]*step[a]) * ss[a]
		}
		return src
	})
}

// stepOf is value k of a Slice's steps, 1 when it has none.
func stepOf(steps []int64, k int) int64 {
	if steps == nil {
		return 1
	}
	return steps[k]
}

// sliceAxis works out one axis, of n cells, of ONNX's Slice with a
// non-zero step: the first index taken, the step between the indices
// taken and how many there are. start and end are clamped to the axis
// (sliceBounds), and the count is ⌈distance/|step|⌉ of the clamped
// distance, so any step is exact without overflow: one of ±(2^63-1) or
// -2^63, or any step longer than the range, takes the first index of the
// range alone (the lowest going forwards, the highest going backwards).
// The step is converted to int only when two or more indices are taken,
// when |step| < n.
func sliceAxis(start, end, step int64, n int) (first, stride, count int) {
	b, e := sliceBounds(start, end, step, n)
	dist := int64(e - b)
	if step < 0 {
		dist = int64(b - e)
	}
	if dist <= 0 {
		return b, 1, 0
	}
	// (dist-1)/step is -((dist-1)/|step|) for a negative step: |step|,
	// which overflows for -2^63, is never formed.
	q := (dist - 1) / step
	if q < 0 {
		q = -q
	}
	if q == 0 {
		return b, 1, 1
	}
	return b, int(step), int(q) + 1
}

// sliceBounds clamps a start and an end to an axis of length n, as ONNX's
// Slice does for a step's sign: negative values count from the end, then
// [0, n] going forwards, start in [0, n-1] and end in [-1, n-1] going
// backwards. Both are worked out in int64, so any value is exact.
func sliceBounds(start, end, step int64, n int) (int, int) {
	clamp := func(v int64, lo, hi int64) int {
		if v < 0 {
			v += int64(n)
		}
		return int(min(max(v, lo), hi))
	}
	if step > 0 {
		return clamp(start, 0, int64(n)), clamp(end, 0, int64(n))
	}
	return clamp(start, 0, int64(n)-1), clamp(end, -1, int64(n)-1)
}

// importSlice folds a Slice of a constant; of a computed image, cropping
// rows and columns, it is a Cropping2D (see sliceImage).
func importSlice(im *importer, n *onnxpb.NodeProto) error {
	var starts, ends, axes, steps []int64
	var err error
	if im.opset >= 10 {
		if starts, err = im.intList(n, 1, "starts"); err == nil {
			if ends, err = im.intList(n, 2, "ends"); err == nil {
				if axes, err = im.intList(n, 3, "axes"); err == nil {
					steps, err = im.intList(n, 4, "steps")
				}
			}
		}
	} else {
		starts, ends, axes = attrInt64s(n, "starts"), attrInt64s(n, "ends"), attrInt64s(n, "axes")
	}
	if err != nil {
		return err
	}
	if len(starts) != len(ends) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return fmt.Errorf("starts %v, ends %v, axes %v and steps %v should have one value per sliced axis", starts, ends, axes, steps)
	}
	if k := slices.Index(steps, 0); k >= 0 {
		axis := int64(k)
		if axes != nil {
			axis = axes[k]
		}
		return fmt.Errorf("steps %v: the step of axis %d is 0, which ONNX's Slice does not allow; give a non-zero step (1 takes every element, -1 every element backwards, one longer than the axis its first element)", steps, axis)
	}
	v := im.in(n, 0)
	if v.c == nil {
		return im.sliceImage(n, v, starts, ends, axes, steps)
	}
	c, err := foldSlice(v.c, starts, ends, axes, steps)
	if err != nil {
		return err
	}
	im.set(n, 0, &ival{c: c})
	return nil
}

func attrInt64s(n *onnxpb.NodeProto, name string) []int64 {
	if a := attr(n, name); a != nil {
		wantType(a, onnxpb.AttributeProto_INTS)
		return a.GetInts()
	}
	return nil
}

// foldBinary applies an arithmetic operator to two constants, broadcast
// as NumPy does.
func foldBinary(op string, x, y *constant) (*constant, error) {
	rank := max(len(x.shape), len(y.shape))
	pad := func(s []int) []int { return append(slices.Repeat([]int{1}, rank-len(s)), s...) }
	xs, ys := pad(x.shape), pad(y.shape)
	shape := make([]int, rank)
	for a := range rank {
		switch {
		case xs[a] == ys[a] || ys[a] == 1:
			shape[a] = xs[a]
		case xs[a] == 1:
			shape[a] = ys[a]
		default:
			return nil, fmt.Errorf("constants of shapes %v and %v do not broadcast", x.shape, y.shape)
		}
	}
	at := func(s []int) func([]int) int {
		st := strides(s)
		return func(o []int) int {
			k := 0
			for a := range o {
				if s[a] != 1 {
					k += o[a] * st[a]
				}
			}
			return k
		}
	}
	bx, err := remap(x, shape, at(xs))
	if err != nil {
		return nil, err
	}
	by, err := remap(y, shape, at(ys))
	if err != nil {
		return nil, err
	}
	if bx.isInt && by.isInt {
		for k, b := range by.i {
			a := bx.i[k]
			if a == batchDim || b == batchDim {
				return nil, fmt.Errorf("arithmetic on the batch size, which goras cannot fold into a constant")
			}
			switch op {
			case "Add":
				bx.i[k] = a + b
			case "Sub":
				bx.i[k] = a - b
			case "Mul":
				bx.i[k] = a * b
			default:
				if b == 0 {
					return nil, fmt.Errorf("an integer division by zero")
				}
				bx.i[k] = a / b
			}
		}
		return bx, nil
	}
	fx, fy := bx.floats(), by.floats()
	out := &constant{shape: shape, f: make([]float32, len(fx))}
	for k := range fx {
		switch op {
		case "Add":
			out.f[k] = fx[k] + fy[k]
		case "Sub":
			out.f[k] = fx[k] - fy[k]
		case "Mul":
			out.f[k] = fx[k] * fy[k]
		default:
			out.f[k] = fx[k] / fy[k]
		}
	}
	return out, nil
}
