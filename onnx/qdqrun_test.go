package onnx

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/tensor"
)

// A float64 interpreter of the operators ExportQuantized writes, as the
// ONNX specification defines them, for the tests: QuantizeLinear (one
// scale, uint8), DequantizeLinear (one scale, or one per index of an
// axis), Transpose, Conv, Relu, MaxPool, Flatten, Gemm and Softmax.

// arr is a value of the graph: its shape, batch first, and its values.
type arr struct {
	shape []int
	v     []float64
}

// decode reads an initializer's values (float32, int8, uint8 or int32,
// raw or in its typed field).
func decode(t *testing.T, tp *onnxpb.TensorProto) []float64 {
	t.Helper()
	raw := tp.GetRawData()
	var out []float64
	switch onnxpb.TensorProto_DataType(tp.GetDataType()) {
	case onnxpb.TensorProto_FLOAT:
		for _, f := range tp.GetFloatData() {
			out = append(out, float64(f))
		}
		for i := 0; i+4 <= len(raw); i += 4 {
			out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
		}
	case onnxpb.TensorProto_INT8:
		for _, b := range raw {
			out = append(out, float64(int8(b)))
		}
	case onnxpb.TensorProto_UINT8:
		for _, b := range raw {
			out = append(out, float64(b))
		}
	case onnxpb.TensorProto_INT32:
		for i := 0; i+4 <= len(raw); i += 4 {
			out = append(out, float64(int32(binary.LittleEndian.Uint32(raw[i:]))))
		}
	case onnxpb.TensorProto_INT64:
		for _, v := range tp.GetInt64Data() {
			out = append(out, float64(v))
		}
	default:
		t.Fatalf("%s: data type %d not read by the test", tp.GetName(), tp.GetDataType())
	}
	return out
}

// runQDQ runs the model's graph on x and returns its one output's values.
func runQDQ(t *testing.T, mp *onnxpb.ModelProto, x *tensor.Tensor) []float64 {
	t.Helper()
	g := mp.GetGraph()
	vals := map[string]*arr{}
	for _, tp := range g.GetInitializer() {
		shape := make([]int, len(tp.GetDims()))
		for i, d := range tp.GetDims() {
			shape[i] = int(d)
		}
		vals[tp.GetName()] = &arr{shape, decode(t, tp)}
	}
	in := &arr{shape: x.Shape()}
	for _, v := range x.Data() {
		in.v = append(in.v, float64(v))
	}
	vals[g.GetInput()[0].GetName()] = in
	for _, n := range g.GetNode() {
		args := make([]*arr, len(n.GetInput()))
		for i, name := range n.GetInput() {
			if args[i] = vals[name]; args[i] == nil {
				t.Fatalf("%s reads %s, which nothing made", n.GetName(), name)
			}
		}
		vals[n.GetOutput()[0]] = runOp(t, n, args)
	}
	return vals[g.GetOutput()[0].GetName()].v
}

func runOp(t *testing.T, n *onnxpb.NodeProto, a []*arr) *arr {
	t.Helper()
	switch n.GetOpType() {
	case "QuantizeLinear":
		s, z := a[1].v[0], a[2].v[0]
		return mapArr(a[0], func(v float64, _ int) float64 { return math.Min(math.Max(math.RoundToEven(v/s)+z, 0), 255) })
	case "DequantizeLinear":
		return dequantize(a, ints(n, "axis"))
	case "Relu":
		return mapArr(a[0], func(v float64, _ int) float64 { return math.Max(v, 0) })
	case "Transpose":
		return transpose(a[0], ints(n, "perm"))
	case "Flatten":
		return &arr{[]int{a[0].shape[0], len(a[0].v) / a[0].shape[0]}, a[0].v}
	case "Conv":
		return conv(a[0], a[1], a[2], ints(n, "strides"), ints(n, "pads"))
	case "MaxPool":
		return maxPool2(a[0])
	case "Gemm":
		return gemm(a[0], a[1], a[2])
	case "Softmax":
		return softmaxRows(a[0])
	}
	t.Fatalf("operator %s not run by the test", n.GetOpType())
	return nil
}

func mapArr(x *arr, f func(v float64, i int) float64) *arr {
	y := &arr{x.shape, make([]float64, len(x.v))}
	for i, v := range x.v {
		y.v[i] = f(v, i)
	}
	return y
}

// dequantize is (x − zero)·scale, one scale and zero point per index of
// axis when they are vectors.
func dequantize(a []*arr, axis []int64) *arr {
	x, s, z := a[0], a[1], a[2]
	if len(s.v) == 1 {
		return mapArr(x, func(v float64, _ int) float64 { return (v - z.v[0]) * s.v[0] })
	}
	ax := 1
	if len(axis) == 1 {
		ax = int(axis[0])
	}
	inner := 1
	for _, d := range x.shape[ax+1:] {
		inner *= d
	}
	return mapArr(x, func(v float64, i int) float64 {
		c := i / inner % x.shape[ax]
		return (v - z.v[c]) * s.v[c]
	})
}

func transpose(x *arr, perm []int64) *arr {
	r := len(x.shape)
	shape, strides := make([]int, r), make([]int, r)
	for i, s := r-1, 1; i >= 0; i-- {
		strides[i], s = s, s*x.shape[i]
	}
	for i, p := range perm {
		shape[i] = x.shape[p]
	}
	y := &arr{shape, make([]float64, len(x.v))}
	idx := make([]int, r)
	for o := range y.v {
		rem, src := o, 0
		for i := r - 1; i >= 0; i-- {
			idx[i], rem = rem%shape[i], rem/shape[i]
			src += idx[i] * strides[perm[i]]
		}
		y.v[o] = x.v[src]
	}
	return y
}

// conv is Conv on x (N, C, H, W) with w (F, C, KH, KW), bias b, strides
// and pads (top, left, bottom, right), padding with 0.
func conv(x, w, b *arr, strides, pads []int64) *arr {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	f, kh, kw := w.shape[0], w.shape[2], w.shape[3]
	sh, sw, pt, pl := int(strides[0]), int(strides[1]), int(pads[0]), int(pads[1])
	oh, ow := (h+pt+int(pads[2])-kh)/sh+1, (wd+pl+int(pads[3])-kw)/sw+1
	y := &arr{[]int{n, f, oh, ow}, make([]float64, n*f*oh*ow)}
	for s := 0; s < n; s++ {
		for o := 0; o < f; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					sum := b.v[o]
					for ch := 0; ch < c; ch++ {
						for r := 0; r < kh; r++ {
							for q := 0; q < kw; q++ {
								yy, xx := i*sh+r-pt, j*sw+q-pl
								if yy >= 0 && yy < h && xx >= 0 && xx < wd {
									sum += x.v[((s*c+ch)*h+yy)*wd+xx] * w.v[((o*c+ch)*kh+r)*kw+q]
								}
							}
						}
					}
					y.v[((s*f+o)*oh+i)*ow+j] = sum
				}
			}
		}
	}
	return y
}

// maxPool2 is MaxPool with 2×2 windows at stride 2 on (N, C, H, W).
func maxPool2(x *arr) *arr {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	y := &arr{[]int{n, c, h / 2, w / 2}, make([]float64, n*c*(h/2)*(w/2))}
	for p := 0; p < n*c; p++ {
		for i := 0; i < h/2; i++ {
			for j := 0; j < w/2; j++ {
				m := math.Inf(-1)
				for _, d := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
					m = math.Max(m, x.v[(p*h+2*i+d[0])*w+2*j+d[1]])
				}
				y.v[(p*(h/2)+i)*(w/2)+j] = m
			}
		}
	}
	return y
}

// gemm is a (N, K) times b (K, M) plus c (M).
func gemm(a, b, c *arr) *arr {
	n, k, m := a.shape[0], a.shape[1], b.shape[1]
	y := &arr{[]int{n, m}, make([]float64, n*m)}
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			sum := c.v[j]
			for p := 0; p < k; p++ {
				sum += a.v[i*k+p] * b.v[p*m+j]
			}
			y.v[i*m+j] = sum
		}
	}
	return y
}

func softmaxRows(x *arr) *arr {
	n, m := x.shape[0], x.shape[1]
	y := &arr{x.shape, make([]float64, len(x.v))}
	for i := 0; i < n; i++ {
		row := x.v[i*m : (i+1)*m]
		big := math.Inf(-1)
		for _, v := range row {
			big = math.Max(big, v)
		}
		var sum float64
		for j, v := range row {
			y.v[i*m+j] = math.Exp(v - big)
			sum += y.v[i*m+j]
		}
		for j := range row {
			y.v[i*m+j] /= sum
		}
	}
	return y
}
