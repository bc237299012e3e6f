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

// auto_pad SAME_UPPER and SAME_LOWER where the stride is longer than the
// window, checked against float64 loops written from ONNX's definitions.
// onnxruntime 1.30.0 (onnxruntime-node, CPU) was run on every model of
// sameCases and transposeCases: it gives these numbers (within 1e-6) for
// every ConvTranspose, and for every Conv, MaxPool and AveragePool whose
// padding total (out-1)·stride + kernel - in, before ONNX's max(0, ·), is
// at least 0 (156 of the 390). Where that is negative it departs from the
// definition: its MaxPool and AveragePool refuse the node ("padding
// values must be non-negative"), and its Conv, for totals of -3 and
// below, can start the windows a cell or more into the input (a negative
// pad; 2 of these cases), where ONNX starts them at the first cell, as
// TensorFlow's and Keras's "same" do.

// windowCase is a one-node model, its input (batch 1) in ONNX's layout,
// and the output ONNX defines for it, in ONNX's layout.
type windowCase struct {
	name  string
	model *onnxpb.ModelProto
	shape []int // the input's sample shape, (C, L) or (C, H, W)
	x     []float32
	want  []float64
	odd   bool // a SAME_LOWER on a sequence with an odd padding, which goras's 1-D layers cannot place
}

// eighths is n values in [-1.375, 1.375], multiples of 1/8, that repeat
// only every 23: sums of their products with eighths are exact in float32.
func eighths(n, seed int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((i*37+seed)%23-11) / 8
	}
	return v
}

func f64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, a := range v {
		out[i] = float64(a)
	}
	return out
}

// samePad is the padding before and after that ONNX's auto_pad gives a
// window of span cells moved by stride on in cells: ⌈in/stride⌉ windows, a
// total of max(0, (out-1)·stride + span - in) cells, the odd one at the
// end for SAME_UPPER, at the start for SAME_LOWER.
func samePad(mode string, in, span, stride int) (out, before int) {
	o := math.Ceil(float64(in) / float64(stride))
	total := math.Max(0, (o-1)*float64(stride)+float64(span)-float64(in))
	if mode == "SAME_UPPER" {
		return int(o), int(math.Floor(total / 2))
	}
	return int(o), int(total - math.Floor(total/2))
}

// windowRef is Conv (weights w (F, C, KH, KW)), MaxPool or AveragePool
// (count_include_pad 0) on x (C, H, W) with auto_pad mode, by ONNX's
// definition: output (o0, o1) reads the cells o·stride - before + j, j <
// kernel, along each axis; a cell outside the input adds nothing to a sum,
// is no candidate for a max, and is not counted in an average.
func windowRef(op, mode string, x []float64, c, h, w int, k, s [2]int, wts []float64, f int) []float64 {
	oh, bh := samePad(mode, h, k[0], s[0])
	ow, bw := samePad(mode, w, k[1], s[1])
	if op != "Conv" {
		f = c
	}
	var out []float64
	for o := range f {
		for y := range oh {
			for z := range ow {
				sum, best, n := 0.0, math.Inf(-1), 0
				for i := range k[0] {
					for j := range k[1] {
						r, q := y*s[0]-bh+i, z*s[1]-bw+j
						if r < 0 || r >= h || q < 0 || q >= w {
							continue
						}
						if op != "Conv" {
							v := x[(o*h+r)*w+q]
							sum, best, n = sum+v, math.Max(best, v), n+1
							continue
						}
						for ch := range c {
							sum += x[(ch*h+r)*w+q] * wts[((o*c+ch)*k[0]+i)*k[1]+j]
						}
					}
				}
				switch op {
				case "MaxPool":
					out = append(out, best)
				case "AveragePool":
					out = append(out, sum/float64(n))
				default:
					out = append(out, sum)
				}
			}
		}
	}
	return out
}

// sameCases are Conv (2 channels in, 3 out), MaxPool and AveragePool with
// SAME_UPPER and SAME_LOWER on images and sequences of several sizes, each
// with a stride longer than its window along some axis.
func sameCases() []windowCase {
	var cases []windowCase
	add := func(op, mode string, shape []int, k, s [2]int) {
		c, h, w := shape[0], 1, shape[len(shape)-1]
		ks, ss := []int64{int64(k[1])}, []int64{int64(s[1])}
		if len(shape) == 3 {
			h = shape[1]
			ks, ss = []int64{int64(k[0]), int64(k[1])}, []int64{int64(s[0]), int64(s[1])}
		}
		x := eighths(c*h*w, len(cases))
		dims := []int64{int64(c), int64(w)}
		if len(shape) == 3 {
			dims = []int64{int64(c), int64(h), int64(w)}
		}
		ins := []string{"x"}
		var inits []*onnxpb.TensorProto
		var wts []float32
		f := 3
		if op == "Conv" {
			wts = eighths(f*c*k[0]*k[1], 5)
			wdims := []int64{int64(f), int64(c), int64(k[0]), int64(k[1])}
			if len(shape) == 2 {
				wdims = []int64{int64(f), int64(c), int64(k[1])}
			}
			ins, inits = append(ins, "w"), append(inits, floats("w", wdims, wts...))
		}
		node := nodeProto(op, "n", ins, []string{"y"}, intsAttr("kernel_shape", ks...), intsAttr("strides", ss...), strAttr("auto_pad", mode))
		_, before := samePad(mode, w, k[1], s[1])
		_, upperBefore := samePad("SAME_UPPER", w, k[1], s[1])
		cases = append(cases, windowCase{
			name:  fmt.Sprintf("%s %s kernel %v stride %v on %v", op, mode, ks, ss, shape),
			model: model(17, dims, "y", []*onnxpb.NodeProto{node}, inits...),
			shape: shape, x: x,
			want: windowRef(op, mode, f64s(x), c, h, w, k, s, f64s(wts), f),
			odd:  len(shape) == 2 && before != upperBefore,
		})
	}
	for _, op := range []string{"Conv", "MaxPool", "AveragePool"} {
		for _, mode := range []string{"SAME_UPPER", "SAME_LOWER"} {
			for _, ks := range [][2][2]int{{{1, 1}, {2, 2}}, {{2, 1}, {3, 2}}, {{1, 2}, {3, 3}}, {{2, 2}, {5, 3}}, {{3, 1}, {4, 2}}} {
				for _, hw := range [][2]int{{3, 4}, {4, 5}, {5, 7}, {6, 6}, {7, 3}, {8, 9}} {
					add(op, mode, []int{2, hw[0], hw[1]}, ks[0], ks[1])
				}
			}
			for _, ks := range [][2]int{{1, 2}, {2, 3}, {1, 3}, {2, 5}, {3, 4}} {
				for n := 3; n <= 9; n++ {
					add(op, mode, []int{2, n}, [2]int{1, ks[0]}, [2]int{1, ks[1]})
				}
			}
		}
	}
	return cases
}

// runONNX imports a model and predicts batch 1 of x, given and returned
// in ONNX's layout: goras holds a (C, H, W) image input and output
// channels last, and a (C, L) sequence input (L, C).
func runONNX(model []byte, shape []int, x []float32) ([]float32, error) {
	m, err := onnx.DecodeBytes(model)
	if err != nil {
		return nil, err
	}
	c, cells := shape[0], len(x)/shape[0]
	in := tensor.New(append([]int{1}, m.InputShape()...)...)
	if got := m.InputShape(); len(got) == len(shape) && got[len(got)-1] == c && c > 1 {
		for ch := range c {
			for p := range cells {
				in.Data()[p*c+ch] = x[ch*cells+p]
			}
		}
	} else {
		copy(in.Data(), x)
	}
	y, err := m.PredictOnBatch(in)
	if err != nil {
		return nil, err
	}
	ys := y.Shape()
	if len(ys) != 4 { // not an image: ONNX's layout
		return y.Data(), nil
	}
	f, cells := ys[3], ys[1]*ys[2]
	out := make([]float32, y.Len())
	for ch := range f {
		for p := range cells {
			out[ch*cells+p] = y.Data()[p*f+ch]
		}
	}
	return out, nil
}

// closeTo reports whether got is want within tol (infinities equal
// themselves, NaN nothing).
func closeTo(got []float32, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i, w := range want {
		if g := float64(got[i]); g != w && !(math.Abs(g-w) <= tol) {
			return false
		}
	}
	return true
}

// TestImportSamePaddingLongStride: Conv, MaxPool and AveragePool with
// auto_pad SAME_UPPER and SAME_LOWER and strides longer than their windows
// compute what ONNX defines; a SAME_LOWER with an odd padding on a
// sequence, which goras's 1-D layers cannot place, is refused saying so.
func TestImportSamePaddingLongStride(t *testing.T) {
	for _, c := range sameCases() {
		got, err := runONNX(encode(t, c.model), c.shape, c.x)
		switch {
		case c.odd && err != nil && strings.Contains(err.Error(), "pads as Keras's"):
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !closeTo(got, c.want, 1e-6):
			t.Errorf("%s: output %v, want %v", c.name, got, c.want)
		}
	}
}

// transposeRef is ConvTranspose (weights w (C, F, KH, KW)) on x (C, H,
// W) with auto_pad mode, by ONNX's definition: input cell (r, q) adds
// x·w[j] at cells r·stride + j of the full output, (in-1)·stride + kernel
// long, of which the output keeps in·stride, less by a padding total of
// max(0, full - in·stride), the odd cell cut at the end for SAME_UPPER, at
// the start for SAME_LOWER.
func transposeRef(mode string, x []float64, c, h, w int, k, s [2]int, wts []float64, f int) []float64 {
	fh, fw := (h-1)*s[0]+k[0], (w-1)*s[1]+k[1]
	full := make([]float64, f*fh*fw)
	for ch := range c {
		for o := range f {
			for r := range h {
				for q := range w {
					for i := range k[0] {
						for j := range k[1] {
							full[(o*fh+r*s[0]+i)*fw+q*s[1]+j] += x[(ch*h+r)*w+q] * wts[((ch*f+o)*k[0]+i)*k[1]+j]
						}
					}
				}
			}
		}
	}
	crop := func(fullLen, in, stride int) (out, before int) {
		total := math.Max(0, float64(fullLen-in*stride))
		before = int(math.Floor(total / 2))
		if mode == "SAME_LOWER" {
			before = int(total) - before
		}
		return fullLen - int(total), before
	}
	oh, bh := crop(fh, h, s[0])
	ow, bw := crop(fw, w, s[1])
	var out []float64
	for o := range f {
		for y := range oh {
			for z := range ow {
				out = append(out, full[(o*fh+y+bh)*fw+z+bw])
			}
		}
	}
	return out
}

// transposeCases are ConvTransposes (2 channels in, 3 out) with SAME_UPPER
// and SAME_LOWER, strides longer than their windows along some axis, and
// one window longer than its stride for the ordinary case.
func transposeCases() []windowCase {
	var cases []windowCase
	for _, mode := range []string{"SAME_UPPER", "SAME_LOWER"} {
		for _, ks := range [][2][2]int{{{1, 1}, {2, 2}}, {{2, 1}, {3, 2}}, {{1, 2}, {3, 3}}, {{3, 2}, {2, 2}}} {
			for _, hw := range [][2]int{{2, 3}, {3, 2}, {3, 3}} {
				k, s := ks[0], ks[1]
				x, wts := eighths(2*hw[0]*hw[1], len(cases)), eighths(2*3*k[0]*k[1], 3)
				node := nodeProto("ConvTranspose", "t", []string{"x", "w"}, []string{"y"}, intsAttr("strides", int64(s[0]), int64(s[1])), strAttr("auto_pad", mode))
				cases = append(cases, windowCase{
					name:  fmt.Sprintf("ConvTranspose %s kernel %v stride %v on %v", mode, k, s, hw),
					model: model(17, []int64{2, int64(hw[0]), int64(hw[1])}, "y", []*onnxpb.NodeProto{node}, floats("w", []int64{2, 3, int64(k[0]), int64(k[1])}, wts...)),
					shape: []int{2, hw[0], hw[1]}, x: x,
					want: transposeRef(mode, f64s(x), 2, hw[0], hw[1], k, s, f64s(wts), 3),
				})
			}
		}
	}
	return cases
}

// TestImportConvTransposeSameLongStride: a ConvTranspose with auto_pad SAME
// and a stride longer than its window has no padding and gives its full
// output ((in-1)·stride + kernel, shorter than in·stride), as ONNX's shape
// inference and onnxruntime have it; the importer had refused it, saying
// that an output_shape the node does not have was too large.
func TestImportConvTransposeSameLongStride(t *testing.T) {
	for _, c := range transposeCases() {
		got, err := runONNX(encode(t, c.model), c.shape, c.x)
		switch {
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !closeTo(got, c.want, 1e-6):
			t.Errorf("%s: output %v, want %v", c.name, got, c.want)
		}
	}
}
