package onnx_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/tensor"
)

// Clip with min above max, and Slice with steps of any size, checked
// against float64 calculations written from ONNX's definitions.

// clipRef is ONNX's Clip: Min(max, Max(x, min)), so that a min above the
// max gives the max everywhere.
func clipRef(x []float32, lo, hi float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Min(hi, math.Max(float64(v), lo))
	}
	return out
}

func scalar(name string, v float32) *onnxpb.TensorProto { return floats(name, nil, v) }

// TestImportClipMinAboveMax: a Clip whose min is above its max sets every
// value to the max, as ONNX defines it, with the limits as attributes
// (opsets 7 to 10) or inputs (from 11); it had been an error. Imported and
// exported again, it computes the same. onnxruntime 1.30.0 gives these
// numbers for every case with the limits as inputs, and refuses min > max
// as attributes (its Clip-6 checks min ≤ max).
func TestImportClipMinAboveMax(t *testing.T) {
	inf := float32(math.Inf(1))
	x := []float32{-3.5, -1, 0, 0.25, 1, 2, 7.5}
	clip := func(opset int64, attrs []*onnxpb.AttributeProto, inits ...*onnxpb.TensorProto) *onnxpb.ModelProto {
		ins := []string{"x"}
		for _, c := range inits {
			ins = append(ins, c.GetName())
		}
		return model(opset, []int64{int64(len(x))}, "y", []*onnxpb.NodeProto{nodeProto("Clip", "c", ins, []string{"y"}, attrs...)}, inits...)
	}
	cases := []struct {
		name   string
		model  *onnxpb.ModelProto
		lo, hi float64
	}{
		{"opset 10 attributes", clip(10, []*onnxpb.AttributeProto{floatAttr("min", 2), floatAttr("max", 1)}), 2, 1},
		{"opset 7 attributes", clip(7, []*onnxpb.AttributeProto{floatAttr("min", 0.5), floatAttr("max", -0.5)}), 0.5, -0.5},
		{"opset 13 inputs", clip(13, nil, scalar("lo", 2), scalar("hi", -1)), 2, -1},
		{"opset 11 inputs", clip(11, nil, scalar("lo", 0.5), scalar("hi", 0.25)), 0.5, 0.25},
		{"min +inf", clip(13, nil, scalar("lo", inf), scalar("hi", 3)), math.Inf(1), 3},
		{"max -inf", clip(13, nil, scalar("lo", 0), scalar("hi", -inf)), 0, math.Inf(-1)},
		{"min alone", clip(13, nil, scalar("lo", 0.25)), 0.25, math.Inf(1)},
		{"ordinary", clip(13, nil, scalar("lo", -1), scalar("hi", 1.5)), -1, 1.5},
	}
	for _, c := range cases {
		want := clipRef(x, c.lo, c.hi)
		m, err := onnx.DecodeBytes(encode(t, c.model))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		in, err := tensor.FromSlice(append([]float32(nil), x...), 1, len(x))
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.PredictOnBatch(in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !closeTo(y.Data(), want, 0) {
			t.Errorf("%s: output %v, want %v", c.name, y.Data(), want)
		}
		back := reimport(t, m)
		if y, err = back.PredictOnBatch(in); err != nil || !closeTo(y.Data(), want, 0) {
			t.Errorf("%s, exported and imported again: output %v (%v), want %v", c.name, y, err, want)
		}
	}
}

// sliceIndices is the indices ONNX's Slice takes along an axis of n cells,
// worked out in float64, where no start, end or step overflows: a
// negative start or end counts from the end, both are clamped to [0, n]
// for a positive step, start to [0, n-1] and end to [-1, n-1] for a
// negative one, and the indices walk from start by step while short of
// end.
func sliceIndices(n int, start, end, step int64) []int {
	fn, s, e, st := float64(n), float64(start), float64(end), float64(step)
	if s < 0 {
		s += fn
	}
	if e < 0 {
		e += fn
	}
	var idx []int
	if st > 0 {
		s, e = math.Min(math.Max(s, 0), fn), math.Min(math.Max(e, 0), fn)
		for i := s; i < e; i += st {
			idx = append(idx, int(i))
		}
		return idx
	}
	s, e = math.Min(math.Max(s, 0), fn-1), math.Min(math.Max(e, -1), fn-1)
	for i := s; i > e; i += st {
		idx = append(idx, int(i))
	}
	return idx
}

const (
	maxInt64 = math.MaxInt64
	minInt64 = math.MinInt64
)

// TestImportSliceHugeSteps: a Slice of a constant takes what ONNX defines
// for any non-zero step, ±(2^63-1) and -2^63 among them: a step longer
// than the clamped range takes its first index alone (the lowest going
// forwards, the highest backwards). The arithmetic had overflowed into
// an error about a constant of negative size. The sliced constant, with a
// 100 after it (so that an empty slice is seen too), is added to a zero
// input. onnxruntime 1.30.0 gives the same values for each of these
// (start, end, step) but {2^63-1, 2^63-1, -2^63}: it reads an end of
// 2^63-1 going backwards as "to the first element" (numpy's None) and
// takes [14], where ONNX clamps the end to n-1 and the slice is empty.
func TestImportSliceHugeSteps(t *testing.T) {
	data := []float32{10, 11, 12, 13, 14}
	for _, c := range [][3]int64{
		{0, 5, maxInt64}, {1, 5, maxInt64}, {0, maxInt64, maxInt64}, {-100, maxInt64, maxInt64}, {minInt64, maxInt64, maxInt64},
		{4, -6, minInt64}, {-1, minInt64, minInt64}, {-1, minInt64, -maxInt64}, {3, 0, minInt64}, {3, -maxInt64, -maxInt64},
		{maxInt64, minInt64, minInt64}, {-10, -20, minInt64}, {1, minInt64, -3}, {0, -1, maxInt64},
		{2, 2, maxInt64}, {10, 20, maxInt64}, {0, 0, minInt64}, {4, 4, minInt64}, {maxInt64, maxInt64, minInt64},
		{0, 5, 7}, {4, 0, -7}, {0, 5, 6}, {-1, -7, -5}, {0, 5, 2}, {4, minInt64, -2},
	} {
		name := fmt.Sprintf("Slice start %d end %d step %d", c[0], c[1], c[2])
		var want []float64
		for _, i := range sliceIndices(len(data), c[0], c[1], c[2]) {
			want = append(want, float64(data[i]))
		}
		want = append(want, 100)
		m := model(17, []int64{int64(len(want))}, "y", []*onnxpb.NodeProto{
			nodeProto("Slice", "s", []string{"c", "st", "en", "ax", "sp"}, []string{"s"}),
			nodeProto("Concat", "cat", []string{"s", "tail"}, []string{"cs"}, intAttr("axis", 0)),
			nodeProto("Add", "a", []string{"x", "cs"}, []string{"y"})},
			floats("c", []int64{5}, data...), floats("tail", []int64{1}, 100),
			int64s("st", c[0]), int64s("en", c[1]), int64s("ax", 0), int64s("sp", c[2]))
		got, err := runONNX(encode(t, m), []int{len(want)}, make([]float32, len(want)))
		switch {
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case !closeTo(got, want, 0):
			t.Errorf("%s: output %v, want %v", name, got, want)
		}
	}
}

// TestImportSliceImageHugeSteps: a Slice of a computed image's rows or
// columns whose step takes one of them (a step of ±(2^63-1), -2^63, or
// one longer than the axis) is a crop to that row or column; step 1 a
// crop; a step that takes several rows or columns apart is refused
// saying so. The image is (N, 2, 4, 3) of the values 0, 1, 2, …
// onnxruntime 1.30.0 gives the same values for the five slices taken.
func TestImportSliceImageHugeSteps(t *testing.T) {
	const c, h, w = 2, 4, 3
	x := make([]float32, c*h*w)
	for i := range x {
		x[i] = float32(i)
	}
	for _, tc := range []struct {
		axes                []int64
		starts, ends, steps []int64
		refused             string
	}{
		{[]int64{2}, []int64{1}, []int64{maxInt64}, []int64{maxInt64}, ""},
		{[]int64{-2}, []int64{-1}, []int64{minInt64}, []int64{minInt64}, ""},
		{[]int64{3}, []int64{2}, []int64{-maxInt64}, []int64{-maxInt64}, ""},
		{[]int64{2, 3}, []int64{0, maxInt64}, []int64{4, minInt64}, []int64{5, minInt64}, ""},
		{[]int64{3, 2}, []int64{minInt64, 1}, []int64{maxInt64, 3}, []int64{maxInt64, 1}, ""},
		{[]int64{2}, []int64{0}, []int64{4}, []int64{2}, "it takes 2 of the 4 cells of axis 2 with step 2"},
		{[]int64{3}, []int64{2}, []int64{minInt64}, []int64{-1}, "it takes 3 of the 3 cells of axis 3 with step -1"},
	} {
		name := fmt.Sprintf("Slice axes %v starts %v ends %v steps %v", tc.axes, tc.starts, tc.ends, tc.steps)
		rows, cols := sliceIndices(h, 0, h, 1), sliceIndices(w, 0, w, 1)
		for k, a := range tc.axes {
			if a == 2 || a == -2 {
				rows = sliceIndices(h, tc.starts[k], tc.ends[k], tc.steps[k])
			} else {
				cols = sliceIndices(w, tc.starts[k], tc.ends[k], tc.steps[k])
			}
		}
		var want []float64
		for ch := range c {
			for _, r := range rows {
				for _, q := range cols {
					want = append(want, float64(x[(ch*h+r)*w+q]))
				}
			}
		}
		m := model(17, []int64{c, h, w}, "y", []*onnxpb.NodeProto{nodeProto("Slice", "s", []string{"x", "st", "en", "ax", "sp"}, []string{"y"})},
			int64s("st", tc.starts...), int64s("en", tc.ends...), int64s("ax", tc.axes...), int64s("sp", tc.steps...))
		got, err := runONNX(encode(t, m), []int{c, h, w}, x)
		switch {
		case tc.refused != "":
			if err == nil || !strings.Contains(err.Error(), tc.refused) {
				t.Errorf("%s: import error %v, want one saying %q", name, err, tc.refused)
			}
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case !closeTo(got, want, 0):
			t.Errorf("%s: output %v, want %v", name, got, want)
		}
	}
}

// TestImportSliceStepZero: a step of 0, which ONNX's Slice does not
// allow, is an error naming the steps and the axis, on a constant and on
// an image alike.
func TestImportSliceStepZero(t *testing.T) {
	for _, m := range []*onnxpb.ModelProto{
		model(17, []int64{2}, "y", []*onnxpb.NodeProto{nodeProto("Slice", "/s/Slice", []string{"c", "st", "en", "ax", "sp"}, []string{"s"}),
			nodeProto("Add", "a", []string{"x", "s"}, []string{"y"})},
			floats("c", []int64{2, 2}, 1, 2, 3, 4), int64s("st", 0, 0), int64s("en", 2, 2), int64s("ax", 0, 1), int64s("sp", 1, 0)),
		model(17, []int64{2, 2, 2}, "y", []*onnxpb.NodeProto{nodeProto("Slice", "/s/Slice", []string{"x", "st", "en", "ax", "sp"}, []string{"y"})},
			int64s("st", 0, 0), int64s("en", 2, 2), int64s("ax", 2, 1), int64s("sp", 1, 0)),
	} {
		_, err := onnx.DecodeBytes(encode(t, m))
		if want := `node "/s/Slice" (Slice): steps [1 0]: the step of axis 1 is 0, which ONNX's Slice does not allow; give a non-zero step`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("import error %v, want one saying %q", err, want)
		}
	}
}
