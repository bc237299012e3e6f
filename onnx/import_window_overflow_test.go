package onnx_test

import (
	"strings"
	"testing"

	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// TestImportHugeWindowRefused: a window whose dilation times its kernel
// spans more cells than any axis goras takes (2^28), and a ConvTranspose
// whose stride makes such an output, are refused alike on 64-bit and
// 32-bit platforms, saying so. On 386, dilation 2^20 times 4096 cells
// wrapped to a window of 1 cell: the Conv panicked in its kernel's copy,
// the Conv1D and the ConvTranspose were imported as other models; a
// stride of 2^20 on 4097 columns wrapped to an output of 1 column; two
// dilations of 2^16 wrapped past the kernel-size check.
func TestImportHugeWindowRefused(t *testing.T) {
	w := make([]float32, 4097)
	w[0], w[4096] = 1, 1
	conv := func(op string, input []int64, wdims []int64, wv []float32, attrs ...*onnxpb.AttributeProto) *onnxpb.ModelProto {
		return model(17, input, "y", []*onnxpb.NodeProto{nodeProto(op, "/c", []string{"x", "w"}, []string{"y"}, attrs...)},
			floats("w", wdims, wv...))
	}
	const long = "longer than any axis goras takes (268435456)"
	for _, c := range []struct {
		name string
		m    *onnxpb.ModelProto
		want string
	}{
		{"Conv", conv("Conv", []int64{1, 8, 8}, []int64{1, 1, 4097, 1}, w, intsAttr("dilations", 1<<20, 1)), long},
		{"Conv SAME", conv("Conv", []int64{1, 8, 8}, []int64{1, 1, 4097, 1}, w, intsAttr("dilations", 1<<20, 1), strAttr("auto_pad", "SAME_UPPER")), long},
		{"Conv1D", conv("Conv", []int64{1, 8}, []int64{1, 1, 4097}, w, intsAttr("dilations", 1<<20)), long},
		{"Conv1D SAME", conv("Conv", []int64{1, 8}, []int64{1, 1, 4097}, w, intsAttr("dilations", 1<<20), strAttr("auto_pad", "SAME_LOWER")), long},
		{"ConvTranspose", conv("ConvTranspose", []int64{1, 8, 8}, []int64{1, 1, 4097, 1}, w, intsAttr("dilations", 1<<20, 1)), long},
		{"ConvTranspose SAME", conv("ConvTranspose", []int64{1, 8, 8}, []int64{1, 1, 4097, 1}, w, intsAttr("dilations", 1<<20, 1), strAttr("auto_pad", "SAME_UPPER")), long},
		{"ConvTranspose stride", conv("ConvTranspose", []int64{1, 2, 4097}, []int64{1, 1, 1, 1}, w[:1], intsAttr("strides", 1, 1<<20)),
			"its output would have 4294967297 cells along axis 3"},
		{"ConvTranspose stride SAME", conv("ConvTranspose", []int64{1, 2, 4097}, []int64{1, 1, 1, 1}, w[:1], intsAttr("strides", 1, 1<<20), strAttr("auto_pad", "SAME_UPPER")),
			"its output would have 4294967297 cells along axis 3"},
		{"Conv dilated kernel", conv("Conv", []int64{1, 8, 8}, []int64{1, 1, 2, 2}, w[:4], intsAttr("dilations", 1<<16, 1<<16), strAttr("auto_pad", "SAME_UPPER")),
			"make a kernel of 65537x65537 cells"},
	} {
		_, err := onnx.DecodeBytes(encode(t, c.m))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: import error %v, want one saying %q", c.name, err, c.want)
		}
	}
}
