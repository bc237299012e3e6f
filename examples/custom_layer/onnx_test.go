package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/onnx/check/checkcase"
	"github.com/goras-ml/goras/tensor"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// onnxModel is the part of an ONNX ModelProto the tests read, in
// protojson's field names.
type onnxModel struct {
	Graph struct {
		Node []struct {
			OpType string   `json:"opType"`
			Input  []string `json:"input"`
			Output []string `json:"output"`
		} `json:"node"`
		Initializer []struct {
			Name      string    `json:"name"`
			Dims      []string  `json:"dims"` // int64 are strings in protojson
			FloatData []float64 `json:"floatData"`
		} `json:"initializer"`
		Input  []struct{ Name string } `json:"input"`
		Output []struct{ Name string } `json:"output"`
	} `json:"graph"`
}

// decode reads an encoded ONNX model through the schema package onnx
// registers with protobuf, as JSON.
func decode(t *testing.T, b []byte) onnxModel {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName("onnx.ModelProto")
	if err != nil {
		t.Fatal(err)
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(b, msg); err != nil {
		t.Fatal(err)
	}
	js, err := protojson.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var m onnxModel
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPSwishExportONNX exports a PSwish on (2, 3) samples and runs the
// exported nodes by hand in float64 (each is Mul or Sigmoid, β broadcast
// over the last axis): the result must be goras's prediction, and β the
// initializer named after the layer's weight.
func TestPSwishExportONNX(t *testing.T) {
	act := PSwish(1)
	m := goras.NewSequential(layers.Input(2, 3), act)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	copy(act.Beta(), []float32{0.5, 2, -1.25})
	var buf bytes.Buffer
	if err := onnx.Encode(m, &buf); err != nil {
		t.Fatal(err)
	}
	g := decode(t, buf.Bytes()).Graph
	if len(g.Initializer) != 1 || g.Initializer[0].Name != "p_swish/beta" || len(g.Initializer[0].FloatData) != 3 {
		t.Fatalf("initializers %+v, want p_swish/beta of 3 values", g.Initializer)
	}
	x := []float32{-2, 0.3, 1.5, -0.7, 0, 4, 1, -1, 2, 0.25, -3, 0.5}
	vals := map[string][]float64{g.Input[0].Name: {}, "p_swish/beta": g.Initializer[0].FloatData}
	for _, v := range x {
		vals[g.Input[0].Name] = append(vals[g.Input[0].Name], float64(v))
	}
	ops := ""
	for _, n := range g.Node {
		ops += n.OpType + " "
		a := vals[n.Input[0]]
		out := make([]float64, len(a))
		for i, v := range a {
			switch n.OpType {
			case "Sigmoid":
				out[i] = 1 / (1 + math.Exp(-v))
			case "Mul":
				b := vals[n.Input[1]]
				out[i] = v * b[i%len(b)] // β (3) broadcast over the last axis
			default:
				t.Fatalf("unexpected operator %s", n.OpType)
			}
		}
		vals[n.Output[0]] = out
	}
	if ops != "Mul Sigmoid Mul " {
		t.Errorf("operators %q, want Mul Sigmoid Mul", ops)
	}
	xt, _ := tensor.FromSlice(x, 2, 2, 3)
	want, err := m.Predict(xt, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got := vals[g.Output[0].Name]
	for i, w := range want.Data() {
		if math.Abs(got[i]-float64(w)) > 1e-6 {
			t.Errorf("exported graph gives %v at %d, goras %v", got[i], i, w)
		}
	}
}

// TestONNXCheckCases writes this example's network (main's CNN with PSwish
// activations, seed 1, each β drawn from [0.5, 2] so that every channel
// differs, the output kernel sharpened) as cases of the ONNX export check: onnx/check/check.sh sets
// GORAS_ONNX_CHECK_DIR to a directory already holding the check's images.
func TestONNXCheckCases(t *testing.T) {
	dir := os.Getenv("GORAS_ONNX_CHECK_DIR")
	if dir == "" {
		t.Skip("GORAS_ONNX_CHECK_DIR is not set; onnx/check/check.sh runs this")
	}
	x, err := checkcase.ReadImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := goras.NewSequential( // as in main
		layers.Input(28, 28, 1),
		layers.Conv2D(16, 3), PSwish(1), layers.MaxPooling2D(),
		layers.Conv2D(32, 3), PSwish(1), layers.MaxPooling2D(),
		layers.Flatten(),
		layers.Dense(64), PSwish(1),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	m.SetSeed(1)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(3)
	for _, l := range m.Layers() {
		if p, ok := l.(*PSwishLayer); ok {
			p.beta.Value.FillUniform(rng, 0.5, 2)
		}
	}
	checkcase.Sharpen(m)
	cases, err := checkcase.Write(dir, "custom_layer", m, x, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkcase.WriteManifest(filepath.Join(dir, "manifest-custom_layer.json"), cases); err != nil {
		t.Fatal(err)
	}
}
