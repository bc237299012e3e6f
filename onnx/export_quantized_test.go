package onnx

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
	"google.golang.org/protobuf/proto"
)

// quantizedNet is a small int8 model with what the exporter must get
// right: a "same" convolution with a BatchNormalization folded in, max
// pooling, a stride-2 "same" convolution (its padding uneven: none before,
// one after), a linear convolution (outputs with a negative part, so a
// zero point above 0), Flatten of a channels-first image, a ReLU Dense and
// a softmax Dense. Its weights are drawn from seed 3 and it is calibrated
// on 64 images of a few strokes.
func quantizedNet(t *testing.T) (*quantize.Model, *tensor.Tensor) {
	t.Helper()
	m := goras.NewSequential(
		layers.Input(16, 16, 1),
		layers.Conv2D(4, 3, layers.WithPadding("same"), layers.WithUseBias(false)),
		layers.BatchNormalization(),
		layers.Activation("relu"),
		layers.MaxPooling2D(),
		layers.Conv2D(6, 3, layers.WithStrides(2), layers.WithPadding("same"), layers.WithActivation("relu")),
		layers.Conv2D(5, 2),
		layers.Flatten(),
		layers.Dense(12, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	m.SetSeed(1)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 7))
	for _, p := range m.Params() {
		for i := range p.Value.Data() {
			v := r.Float64()*2 - 1
			switch {
			case strings.HasSuffix(p.Name, "/moving_variance"), strings.HasSuffix(p.Name, "/gamma"):
				v = 1 + 0.4*v
			case strings.HasSuffix(p.Name, "/kernel"):
				v *= 0.6
			default:
				v *= 0.2
			}
			p.Value.Data()[i] = float32(v)
		}
	}
	x := tensor.New(64, 16, 16, 1)
	for i := 0; i < 64; i++ {
		for s := 0; s < 3; s++ {
			y0, x0, dy, dx := r.IntN(12)+2, r.IntN(12)+2, r.IntN(3)-1, r.IntN(3)-1
			for k := 0; k < 6; k++ {
				if y, xx := y0+k*dy, x0+k*dx; y >= 0 && y < 16 && xx >= 0 && xx < 16 {
					x.Data()[i*256+y*16+xx] = float32(0.4 + 0.6*r.Float64())
				}
			}
		}
	}
	q, err := quantize.Quantize(m, x)
	if err != nil {
		t.Fatal(err)
	}
	return q, x
}

func exportedQuantized(t *testing.T, q *quantize.Model, opts ...Option) *onnxpb.ModelProto {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeQuantized(q, &buf, opts...); err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
		t.Fatal(err)
	}
	return &mp
}

// TestExportQuantizedGraph checks the QDQ graph against the quantized
// model's own numbers: the operators in order, every activation's
// QuantizeLinear and DequantizeLinear at the layer's calibrated scale and
// zero point (uint8), each kernel int8 in ONNX's layout with its scales
// per output channel on the right axis and zero points 0, each bias int32
// at input scale × kernel scale, and the convolutions' attributes.
func TestExportQuantizedGraph(t *testing.T) {
	q, _ := quantizedNet(t)
	g := exportedQuantized(t, q).GetGraph()
	qdq := func(op ...string) []string {
		return append(append([]string{"DequantizeLinear"}, op...), "QuantizeLinear")
	}
	matmul := func(op string, relu bool) []string {
		s := []string{"DequantizeLinear", "DequantizeLinear", "DequantizeLinear", op}
		if relu {
			s = append(s, "Relu")
		}
		return append(s, "QuantizeLinear")
	}
	want := []string{"Transpose", "QuantizeLinear"}
	want = append(append(append(want, matmul("Conv", true)...), qdq("MaxPool")...), matmul("Conv", true)...)
	want = append(append(append(want, matmul("Conv", false)...), qdq("Transpose")...), qdq("Flatten")...)
	want = append(append(want, matmul("Gemm", true)...), "DequantizeLinear", "DequantizeLinear", "DequantizeLinear", "Gemm", "Softmax")
	if got := ops(g); !slices.Equal(got, want) {
		t.Fatalf("operators\n got %v\nwant %v", got, want)
	}
	ls := q.Layers()
	if kinds := []quantize.LayerKind{ls[0].Kind, ls[1].Kind, ls[4].Kind, ls[6].Kind}; !slices.Equal(kinds,
		[]quantize.LayerKind{quantize.KindConv2D, quantize.KindMaxPooling2D, quantize.KindFlatten, quantize.KindDense}) {
		t.Fatalf("layers %v", kinds)
	}
	checkActivation(t, g, node(t, g, "QuantizeLinear", 0), q.InputQuantization())
	convs, gemms, quants := 0, 0, 1
	for _, l := range ls {
		switch l.Kind {
		case quantize.KindConv2D:
			n := node(t, g, "Conv", convs)
			convs++
			checkConv(t, g, n, l)
		case quantize.KindDense:
			n := node(t, g, "Gemm", gemms)
			gemms++
			f := len(l.Bias)
			checkKernel(t, g, n.GetInput()[1], l.Kernel, []int64{int64(len(l.Kernel) / f), int64(f)}, l.KernelScale, 1)
			checkBias(t, g, n.GetInput()[2], l)
		}
		if l.Kind == quantize.KindDense && l.Output == (quantize.Quantization{}) {
			continue // the last layer's float outputs
		}
		// One QuantizeLinear per layer, two for Flatten (its Transpose).
		for range 1 + btoi(l.Kind == quantize.KindFlatten) {
			checkActivation(t, g, node(t, g, "QuantizeLinear", quants), l.Output)
			quants++
		}
	}
	out := g.GetOutput()[0]
	if out.GetName() != ls[len(ls)-1].Name || !slices.Equal(dims(out), []int64{-1, 10}) {
		t.Errorf("output %s %v, want %s (N, 10)", out.GetName(), dims(out), ls[len(ls)-1].Name)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkActivation checks that a QuantizeLinear quantizes to uint8 by p and
// that the DequantizeLinear reading it uses the same numbers.
func checkActivation(t *testing.T, g *onnxpb.GraphProto, n *onnxpb.NodeProto, p quantize.Quantization) {
	t.Helper()
	readers := 0
	for _, m := range append([]*onnxpb.NodeProto{n}, g.GetNode()...) {
		if m != n && (m.GetOpType() != "DequantizeLinear" || m.GetInput()[0] != n.GetOutput()[0]) {
			continue
		}
		readers += btoi(m != n)
		sc, zp := initializer(t, g, m.GetInput()[1]), initializer(t, g, m.GetInput()[2])
		if got := decode(t, sc); len(sc.GetDims()) != 0 || len(got) != 1 || float32(got[0]) != p.Scale {
			t.Errorf("%s: scale %v of shape %v, want the scalar %v", m.GetName(), got, sc.GetDims(), p.Scale)
		}
		if zp.GetDataType() != int32(onnxpb.TensorProto_UINT8) || len(zp.GetDims()) != 0 || !bytes.Equal(zp.GetRawData(), []byte{p.ZeroPoint}) {
			t.Errorf("%s: zero point %v (type %d), want the uint8 scalar %d", m.GetName(), zp.GetRawData(), zp.GetDataType(), p.ZeroPoint)
		}
	}
	if readers != 1 {
		t.Errorf("%s is read by %d DequantizeLinear nodes, want 1", n.GetName(), readers)
	}
}

func checkConv(t *testing.T, g *onnxpb.GraphProto, n *onnxpb.NodeProto, l quantize.Layer) {
	t.Helper()
	kh, kw, c, f := l.KernelSize[0], l.KernelSize[1], l.InputShape[2], l.OutputShape[2]
	oihw := make([]int8, len(l.Kernel))
	for i := range l.Kernel { // index of (KH, KW, C, F) → (F, C, KH, KW)
		o, ch, j, r := i%f, i/f%c, i/(f*c)%kw, i/(f*c*kw)
		oihw[((o*c+ch)*kh+r)*kw+j] = l.Kernel[i]
	}
	checkKernel(t, g, n.GetInput()[1], oihw, []int64{int64(f), int64(c), int64(kh), int64(kw)}, l.KernelScale, 0)
	checkBias(t, g, n.GetInput()[2], l)
	p := l.Padding
	for _, a := range []struct {
		name string
		want []int64
	}{{"kernel_shape", []int64{int64(kh), int64(kw)}}, {"strides", []int64{int64(l.Strides[0]), int64(l.Strides[1])}},
		{"pads", []int64{int64(p[0]), int64(p[2]), int64(p[1]), int64(p[3])}}} {
		if got := ints(n, a.name); !slices.Equal(got, a.want) {
			t.Errorf("%s: %s %v, want %v", n.GetName(), a.name, got, a.want)
		}
	}
}

// checkKernel checks the DequantizeLinear whose output is v: int8 kernel
// want of shape dims, per-channel scales on axis, zero points 0.
func checkKernel(t *testing.T, g *onnxpb.GraphProto, v string, want []int8, dims []int64, scales []float32, axis int64) {
	t.Helper()
	n := producerOf(t, g, v)
	k, sc, zp := initializer(t, g, n.GetInput()[0]), initializer(t, g, n.GetInput()[1]), initializer(t, g, n.GetInput()[2])
	raw := make([]byte, len(want))
	for i, w := range want {
		raw[i] = byte(w)
	}
	if k.GetDataType() != int32(onnxpb.TensorProto_INT8) || !slices.Equal(k.GetDims(), dims) || !bytes.Equal(k.GetRawData(), raw) {
		t.Errorf("%s: type %d shape %v, want int8 %v holding the quantized kernel", k.GetName(), k.GetDataType(), k.GetDims(), dims)
	}
	if got := decode(t, sc); !slices.Equal(toF32(got), scales) || !slices.Equal(ints(n, "axis"), []int64{axis}) {
		t.Errorf("%s: scales %v on axis %v, want %v on %d", n.GetName(), got, ints(n, "axis"), scales, axis)
	}
	if zp.GetDataType() != int32(onnxpb.TensorProto_INT8) || !bytes.Equal(zp.GetRawData(), make([]byte, len(scales))) {
		t.Errorf("%s: zero points %v (type %d), want %d int8 zeros", n.GetName(), zp.GetRawData(), zp.GetDataType(), len(scales))
	}
}

// checkBias checks the DequantizeLinear whose output is v against the
// layer's bias, computed again in float64.
func checkBias(t *testing.T, g *onnxpb.GraphProto, v string, l quantize.Layer) {
	t.Helper()
	n := producerOf(t, g, v)
	b, sc := initializer(t, g, n.GetInput()[0]), initializer(t, g, n.GetInput()[1])
	if b.GetDataType() != int32(onnxpb.TensorProto_INT32) {
		t.Fatalf("%s: type %d, want int32", b.GetName(), b.GetDataType())
	}
	got, scales := b.GetRawData(), decode(t, sc)
	for j, bias := range l.Bias {
		s := float64(l.Input.Scale) * float64(l.KernelScale[j])
		want := int32(math.RoundToEven(float64(bias) / float64(float32(s))))
		if v := int32(binary.LittleEndian.Uint32(got[4*j:])); v != want || math.Abs(scales[j]-s) > 1e-7*s {
			t.Errorf("%s[%d]: %d at scale %v, want %d at %v", b.GetName(), j, v, scales[j], want, s)
		}
	}
}

func producerOf(t *testing.T, g *onnxpb.GraphProto, v string) *onnxpb.NodeProto {
	t.Helper()
	for _, n := range g.GetNode() {
		if n.GetOutput()[0] == v {
			return n
		}
	}
	t.Fatalf("no node makes %s", v)
	return nil
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestExportQuantizedComputesPredict runs the exported graph, opset 17 and
// 13, NHWC and NCHW input, through a float64 interpreter of its operators
// (qdqrun_test.go) and holds its probabilities to the int8 model's
// Predict. The two round the same sums, one in float64 and one in float32,
// so a byte may now and then differ by one; a kernel on the wrong axis, a
// misplaced scale or zero point, or a wrong padding would be far off.
func TestExportQuantizedComputesPredict(t *testing.T) {
	q, x := quantizedNet(t)
	want, err := q.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, opset := range []int{17, 13} {
		for _, nchw := range []bool{false, true} {
			in := x
			if nchw {
				in = transposeNCHW(x)
			}
			got := runQDQ(t, exportedQuantized(t, q, Opset(opset), NCHW(nchw)), in)
			var worst float64
			agree := 0
			for i := 0; i < x.Dim(0); i++ {
				row, wrow := got[i*10:(i+1)*10], want.Data()[i*10:(i+1)*10]
				for j := range row {
					worst = math.Max(worst, math.Abs(row[j]-float64(wrow[j])))
				}
				agree += btoi(argmax64(row) == argmaxF32(wrow))
			}
			t.Logf("opset %d, nchw %v: max|diff| %.2e, same class for %d of %d", opset, nchw, worst, agree, x.Dim(0))
			if worst > 5e-3 || agree < x.Dim(0)-1 {
				t.Errorf("opset %d, nchw %v: max|diff| %.3g (want ≤ 5e-3), same class for %d of %d", opset, nchw, worst, agree, x.Dim(0))
			}
		}
	}
}

// transposeNCHW lays (N, H, W, C) images out as (N, C, H, W).
func transposeNCHW(x *tensor.Tensor) *tensor.Tensor {
	n, h, w, c := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	y := tensor.New(n, c, h, w)
	for i, v := range x.Data() {
		ch, col, row, s := i%c, i/c%w, i/(c*w)%h, i/(c*w*h)
		y.Data()[((s*c+ch)*h+row)*w+col] = v
	}
	return y
}

func argmax64(v []float64) int {
	best := 0
	for j := range v {
		if v[j] > v[best] {
			best = j
		}
	}
	return best
}

func argmaxF32(v []float32) int {
	best := 0
	for j := range v {
		if v[j] > v[best] {
			best = j
		}
	}
	return best
}

// TestExportQuantizedErrors: what cannot be written is an error naming
// it.
func TestExportQuantizedErrors(t *testing.T) {
	q, _ := quantizedNet(t)
	var buf bytes.Buffer
	for _, c := range []struct {
		q    *quantize.Model
		opts []Option
		want string
	}{
		{nil, nil, "ExportQuantized of a nil model"},
		{q, []Option{Opset(11)}, "opset 11 is not supported; use 17 (the default) or 13"},
	} {
		err := EncodeQuantized(c.q, &buf, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error saying %q", err, c.want)
		}
	}
}
