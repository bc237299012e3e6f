package onnx_test

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// newLayerModel is a model of the layers given after a 12×10×2 image
// input, flattened (an image output would come back channels first: an
// ONNX image output is (N, C, H, W), which the importer gives channels
// last), with seeded weights.
func newLayerModel(t *testing.T, input []int, ls ...layers.Layer) *goras.Model {
	t.Helper()
	m := goras.NewSequential(append(append([]layers.Layer{layers.Input(input...)}, ls...), layers.Flatten())...)
	m.SetSeed(3)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRoundTripNewLayers: models of issue 13's layers, exported at opsets
// 17 and 13 and imported again, predict the same bits, through the layers
// listed (the noise layers leave nothing; SeparableConv2D comes back as its
// two convolutions, a ReLU with a cap as a Clip after it, CenterCrop and
// Resizing's aspect-ratio windows as Cropping2D or ZeroPadding2D, opset
// 13's LayerNormalization formula as the layer).
func TestRoundTripNewLayers(t *testing.T) {
	img := []int{12, 10, 2}
	cases := []struct {
		name string
		m    *goras.Model
		want []string // classes imported, Flatten left out
	}{
		{"PReLU per channel", newLayerModel(t, img, layers.Conv2D(3, 3), layers.PReLU(layers.WithSharedAxes(1, 2))), []string{"Conv2D", "PReLU"}},
		{"PReLU per value", newLayerModel(t, img, layers.PReLU()), []string{"PReLU"}},
		{"ReLU cap", newLayerModel(t, img, layers.ReLU(layers.WithMaxValue(0.5))), []string{"Clip"}},
		{"ReLU slope cap", newLayerModel(t, img, layers.ReLU(layers.WithNegativeSlope(0.5), layers.WithMaxValue(0.5))), []string{"LeakyReLU", "Clip"}},
		{"ReLU threshold", newLayerModel(t, img, layers.ReLU(layers.WithThreshold(0.5))), []string{"ReLU"}},
		{"Softmax rows", newLayerModel(t, img, layers.Conv2D(3, 3), layers.Softmax(layers.WithAxis(1))), []string{"Conv2D", "Permute", "Activation", "Permute"}},
		{"Softmax two axes", newLayerModel(t, img, layers.Softmax(layers.WithAxes(1, 2))), []string{"Reshape", "Permute", "Activation", "Permute", "Reshape"}},
		{"LayerNormalization channels", newLayerModel(t, img, layers.Conv2D(3, 3), layers.LayerNormalization()), []string{"Conv2D", "LayerNormalization"}},
		{"LayerNormalization two axes", newLayerModel(t, img, layers.LayerNormalization(layers.WithAxes(-2, -1))), []string{"LayerNormalization"}},
		{"LayerNormalization rms", newLayerModel(t, img, layers.LayerNormalization(layers.WithRMSScaling(true))), []string{"LayerNormalization"}},
		{"LayerNormalization bare", newLayerModel(t, img, layers.LayerNormalization(layers.WithScale(false), layers.WithCenter(false))), []string{"LayerNormalization"}},
		{"UpSampling2D", newLayerModel(t, img, layers.UpSampling2D()), []string{"UpSampling2D"}},
		{"UpSampling2D bilinear", newLayerModel(t, img, layers.UpSampling2D(layers.WithSize(2, 3), layers.WithUpSamplingInterpolation("bilinear"))), []string{"UpSampling2D"}},
		{"Resizing", newLayerModel(t, img, layers.Resizing(7, 9)), []string{"Resizing"}},
		{"Resizing nearest", newLayerModel(t, img, layers.Resizing(24, 5, layers.WithInterpolation("nearest"))), []string{"Resizing"}},
		{"Resizing crop", newLayerModel(t, img, layers.Resizing(7, 9, layers.WithCropToAspectRatio(true))), []string{"Cropping2D", "Resizing"}},
		{"Resizing pad", newLayerModel(t, img, layers.Resizing(7, 9, layers.WithPadToAspectRatio(true))), []string{"ZeroPadding2D", "Resizing"}},
		{"CenterCrop", newLayerModel(t, img, layers.CenterCrop(5, 7)), []string{"Cropping2D"}},
		{"CenterCrop larger", newLayerModel(t, img, layers.CenterCrop(15, 17)), []string{"Cropping2D", "Resizing"}},
		{"RandomCrop", newLayerModel(t, img, layers.RandomCrop(5, 7)), []string{"Cropping2D", "Resizing"}},
		{"SeparableConv2D", newLayerModel(t, img, layers.SeparableConv2D(4, 3, layers.WithDepthMultiplier(2), layers.WithPadding("same"),
			layers.WithActivation("relu"))), []string{"DepthwiseConv2D", "Conv2D"}},
		{"Conv1D causal dilated", newLayerModel(t, []int{12, 3}, layers.Conv1D(4, 3, layers.WithPadding("causal"), layers.WithDilationRate(2),
			layers.WithActivation("relu"))), []string{"Conv1D"}},
		{"Conv1D strided, MaxPooling1D", newLayerModel(t, []int{12, 3}, layers.Conv1D(4, 3, layers.WithPadding("same"), layers.WithStrides(2)),
			layers.MaxPooling1D()), []string{"Conv1D", "MaxPooling1D"}},
		{"AveragePooling1D", newLayerModel(t, []int{12, 3}, layers.AveragePooling1D(3, layers.WithPadding("same"), layers.WithStrides(2)),
			layers.MaxPooling1D(layers.WithPoolSize(3), layers.WithStrides(1), layers.WithPadding("same"))), []string{"AveragePooling1D", "MaxPooling1D"}},
		{"noise", newLayerModel(t, img, layers.GaussianNoise(0.3), layers.GaussianDropout(0.3), layers.SpatialDropout2D(0.3),
			layers.RandomFlip(""), layers.RandomContrast(0.3), layers.Flatten(), layers.Dense(3)), []string{"Dense"}},
	}
	for _, c := range cases {
		x := images(c.m, 5, 1)
		for i, v := range x.Data() {
			x.Data()[i] = 2*v - 0.7 // negative values too
		}
		want := predict(t, c.m, x)
		for _, opset := range []int{17, 13} {
			back := reimport(t, c.m, onnx.Opset(opset))
			if i := firstDiff(predict(t, back, x).Data(), want.Data()); i >= 0 {
				t.Errorf("%s, opset %d: prediction %d differs", c.name, opset, i)
			}
			var got []string
			for _, l := range back.Layers() {
				if l.ClassName() != "Flatten" {
					got = append(got, l.ClassName())
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s, opset %d: imported as %v, want %v", c.name, opset, got, c.want)
			}
		}
	}
}

// TestRoundTripRefused: exports the importer does not read back fail to
// import with an error naming the node and the reason, never as a model
// that computes something else.
func TestRoundTripRefused(t *testing.T) {
	cases := []struct {
		name string
		m    *goras.Model
		want string
	}{
		{"ReLU slope and threshold", newLayerModel(t, []int{4}, layers.ReLU(layers.WithThreshold(0.5), layers.WithNegativeSlope(0.1))),
			"operator Greater is not supported"},
		// 12 rows into 5: 2.4 per pixel, halves to round: a Gather.
		{"Resizing nearest with halves", newLayerModel(t, []int{12, 10, 2}, layers.Resizing(5, 5, layers.WithInterpolation("nearest"))),
			"gathers from a computed tensor"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if err := onnx.Encode(c.m, &buf); err != nil {
			t.Fatal(err)
		}
		if _, err := onnx.Decode(&buf); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: import error %v, want one saying %q", c.name, err, c.want)
		}
	}
}

func floatsAttr(name string, v ...float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: v}
}

// TestImportNewOperators: PRelu, ThresholdedRelu, LayerNormalization,
// Resize and Upsample forms the PyTorch files leave out, on hand-built
// graphs whose outputs for the ramp input 0, 1, 2, ... are worked out by
// hand.
func TestImportNewOperators(t *testing.T) {
	ln := func(x []float64, scale, bias []float64) []float32 {
		mean, v := 0.0, 0.0
		for _, a := range x {
			mean += a / float64(len(x))
		}
		for _, a := range x {
			v += (a - mean) * (a - mean) / float64(len(x))
		}
		out := make([]float32, len(x))
		for i, a := range x {
			out[i] = float32((a-mean)/math.Sqrt(v+1e-5)*scale[i] + bias[i])
		}
		return out
	}
	cases := []struct {
		name  string
		model *onnxpb.ModelProto
		want  []float32
	}{
		// x - 3 on (N, 2, 3), then a slope per row: 0.5 and 0.25.
		{"PRelu", model(17, []int64{2, 3}, "y", []*onnxpb.NodeProto{nodeProto("Sub", "s", []string{"x", "three"}, []string{"z"}),
			nodeProto("PRelu", "p", []string{"z", "slope"}, []string{"y"})}, floats("three", nil, 3), floats("slope", []int64{2, 1}, 0.5, 0.25)),
			[]float32{-1.5, -1, -0.5, 0, 1, 2}},
		{"ThresholdedRelu", model(17, []int64{4}, "y", []*onnxpb.NodeProto{nodeProto("ThresholdedRelu", "t", []string{"x"}, []string{"y"},
			floatAttr("alpha", 1.5))}), []float32{0, 0, 2, 3}},
		{"LayerNormalization", model(17, []int64{4}, "y", []*onnxpb.NodeProto{nodeProto("LayerNormalization", "l", []string{"x", "g", "b"}, []string{"y"})},
			floats("g", []int64{4}, 1, 2, 1, 2), floats("b", []int64{4}, 0, 0, 1, 1)), ln([]float64{0, 1, 2, 3}, []float64{1, 2, 1, 2}, []float64{0, 0, 1, 1})},
		// Over both axes of (N, 2, 3), a scale of one number, no bias.
		{"LayerNormalization/axis 1", model(17, []int64{2, 3}, "y", []*onnxpb.NodeProto{nodeProto("LayerNormalization", "l", []string{"x", "g"}, []string{"y"},
			intAttr("axis", 1))}, floats("g", nil, 2)), ln([]float64{0, 1, 2, 3, 4, 5}, []float64{2, 2, 2, 2, 2, 2}, make([]float64, 6))},
		// 5 columns into 2: pixels 1.25 and 3.75 (no halves) round to 1 and 3.
		{"Resize/nearest round_prefer_floor", model(17, []int64{1, 1, 5}, "y", []*onnxpb.NodeProto{nodeProto("Resize", "r", []string{"x", "", "", "sizes"}, []string{"y"})},
			int64s("sizes", 1, 1, 1, 2)), []float32{1, 3}},
		// 2 columns into 4 with PyTorch's half pixels: at -0.25, 0.25, 0.75, 1.25, clamped.
		{"Resize/linear pytorch_half_pixel", model(13, []int64{1, 1, 2}, "y", []*onnxpb.NodeProto{nodeProto("Resize", "r", []string{"x", "", "scales"}, []string{"y"},
			strAttr("mode", "linear"), strAttr("coordinate_transformation_mode", "pytorch_half_pixel"))}, floats("scales", []int64{4}, 1, 1, 1, 2)),
			[]float32{0, 0.25, 0.75, 1}},
		{"Upsample/opset 9", model(9, []int64{1, 2, 2}, "y", []*onnxpb.NodeProto{nodeProto("Upsample", "u", []string{"x", "scales"}, []string{"y"})},
			floats("scales", []int64{4}, 1, 1, 2, 1)), []float32{0, 1, 0, 1, 2, 3, 2, 3}},
		{"Upsample/opset 7", model(7, []int64{1, 1, 2}, "y", []*onnxpb.NodeProto{nodeProto("Upsample", "u", []string{"x"}, []string{"y"},
			floatsAttr("scales", 1, 1, 1, 3))}), []float32{0, 0, 0, 1, 1, 1}},
	}
	for _, c := range cases {
		if y := onRamp(t, c.name, encode(t, c.model)); y != nil {
			wantValues(t, c.name, y, c.want)
		}
	}
}

// TestImportNewOperatorsRefused: forms goras has no layer for are errors
// that say why.
func TestImportNewOperatorsRefused(t *testing.T) {
	resize := func(opset int64, shape []int64, attrs []*onnxpb.AttributeProto, scales ...float32) *onnxpb.ModelProto {
		return model(opset, shape, "y", []*onnxpb.NodeProto{nodeProto("Resize", "/up/Resize", []string{"x", "", "scales"}, []string{"y"}, attrs...)},
			floats("scales", []int64{int64(len(scales))}, scales...))
	}
	img := []int64{1, 5, 5}
	cases := []struct {
		name  string
		model *onnxpb.ModelProto
		want  []string
	}{
		{"align_corners", resize(13, img, []*onnxpb.AttributeProto{strAttr("mode", "linear"), strAttr("coordinate_transformation_mode", "align_corners")}, 1, 1, 2, 2),
			[]string{`"/up/Resize"`, "coordinate_transformation_mode align_corners", "half-pixel"}},
		{"nearest asymmetric shrinking", model(13, img, "y", []*onnxpb.NodeProto{nodeProto("Resize", "r", []string{"x", "", "", "sizes"}, []string{"y"},
			strAttr("coordinate_transformation_mode", "asymmetric"), strAttr("nearest_mode", "floor"))}, int64s("sizes", 1, 1, 2, 2)),
			[]string{"asymmetric", "from 5×5 to 2×2"}},
		{"nearest halves down", model(13, []int64{1, 1, 4}, "y", []*onnxpb.NodeProto{nodeProto("Resize", "r", []string{"x", "", "", "sizes"}, []string{"y"})},
			int64s("sizes", 1, 1, 1, 2)), []string{"round_prefer_floor"}},
		{"cubic", resize(13, img, []*onnxpb.AttributeProto{strAttr("mode", "cubic")}, 1, 1, 2, 2), []string{`mode "cubic"`}},
		{"antialias", resize(18, []int64{1, 4, 4}, []*onnxpb.AttributeProto{strAttr("mode", "linear"), intAttr("antialias", 1)}, 1, 1, 0.5, 0.5),
			[]string{"antialias"}},
		{"fractional scale", resize(13, img, nil, 1, 1, 1.5, 1.5), []string{"gives 7.5, not a whole number"}},
		{"channels", resize(13, img, nil, 1, 2, 1, 1), []string{"should be (1, 1, sh, sw)"}},
		{"flat", resize(13, []int64{4}, nil, 1, 2), []string{"goras resizes images"}},
		{"Upsample linear", model(9, img, "y", []*onnxpb.NodeProto{nodeProto("Upsample", "u", []string{"x", "scales"}, []string{"y"}, strAttr("mode", "linear"))},
			floats("scales", []int64{4}, 1, 1, 2, 2)), []string{"asymmetric coordinates", "opset 11"}},
		{"Upsample fraction", model(9, img, "y", []*onnxpb.NodeProto{nodeProto("Upsample", "u", []string{"x", "scales"}, []string{"y"})},
			floats("scales", []int64{4}, 1, 1, 1.5, 2)), []string{"whole factors"}},
		{"ThresholdedRelu", model(17, []int64{4}, "y", []*onnxpb.NodeProto{nodeProto("ThresholdedRelu", "t", []string{"x"}, []string{"y"}, floatAttr("alpha", -1))}),
			[]string{"thresholds ≥ 0"}},
		{"LayerNormalization batch", model(17, []int64{4}, "y", []*onnxpb.NodeProto{nodeProto("LayerNormalization", "l", []string{"x", "g"}, []string{"y"},
			intAttr("axis", 0))}, floats("g", nil, 1)), []string{"across the batch axis"}},
		{"Conv1D pads", model(17, []int64{2, 8}, "y", []*onnxpb.NodeProto{nodeProto("Conv", "c", []string{"x", "w"}, []string{"y"},
			intsAttr("pads", 1, 1), intsAttr("strides", 2))}, floats("w", []int64{1, 2, 3}, 1, 1, 1, 1, 1, 1)),
			[]string{"pads (1, 1) on 8 steps", "causal"}},
		{"Conv1D groups", model(17, []int64{2, 8}, "y", []*onnxpb.NodeProto{nodeProto("Conv", "c", []string{"x", "w"}, []string{"y"},
			intAttr("group", 2))}, floats("w", []int64{2, 1, 3}, 1, 1, 1, 1, 1, 1)), []string{"2 groups on 2 channels"}},
		{"MaxPool 1-D ceil_mode", model(17, []int64{2, 8}, "y", []*onnxpb.NodeProto{nodeProto("MaxPool", "p", []string{"x"}, []string{"y"},
			intsAttr("kernel_shape", 3), intsAttr("strides", 2), intAttr("ceil_mode", 1))}), []string{"ceil_mode"}},
		{"PRelu computed slope", model(17, []int64{4}, "y", []*onnxpb.NodeProto{nodeProto("PRelu", "p", []string{"x", "x"}, []string{"y"})}),
			[]string{"slope (input 1) should be a constant"}},
	}
	for _, c := range cases {
		_, err := onnx.DecodeBytes(encode(t, c.model))
		if err == nil {
			t.Errorf("%s: imported", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
	}
}
