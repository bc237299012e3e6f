package onnx

import (
	"fmt"
	"slices"

	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// foldSlice slices a constant: starts, ends, axes and steps as ONNX's
// Slice, ends clamped to the axis and negative steps walking backwards.
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
			if a, err = normAxis(int(axes[k]), rank); err != nil {
				return nil, err
			}
		}
		s := int64(1)
		if steps != nil {
			s = steps[k]
		}
		if s == 0 {
			return nil, fmt.Errorf("a step of 0")
		}
		b, e := sliceBounds(starts[k], ends[k], s, c.shape[a])
		begin[a], step[a] = b, int(s)
		switch {
		case s > 0 && e > b:
			shape[a] = (e - b + int(s) - 1) / int(s)
		case s < 0 && e < b:
			shape[a] = (b - e + int(-s) - 1) / int(-s)
		default:
			shape[a] = 0
		}
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

// sliceBounds clamps a start and an end to an axis of length n, as ONNX's
// Slice does for a step's sign.
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
