package quantize_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/saving"
)

// TestLayersDescribeTheFile holds Layers to what Save writes: the kinds
// and names in order, shapes that chain from InputShape to Classes, each
// layer reading the quantization the one before gives, kernels, scales and
// biases equal to the file's tensors byte for byte, and the input's and
// outputs' quantizations equal to the file's description.
func TestLayersDescribeTheFile(t *testing.T) {
	q := quantizedBN(t)
	path := filepath.Join(t.TempDir(), "bn-int8.safetensors")
	if err := q.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	data := raw[8+n:]
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	_ = json.Unmarshal(h["__metadata__"], &meta)
	var desc struct {
		Input struct {
			Scale     float32 `json:"scale"`
			ZeroPoint uint8   `json:"zero_point"`
		} `json:"input"`
		Layers []struct {
			ClassName string `json:"class_name"`
			Config    struct {
				Name   string `json:"name"`
				Output *struct {
					Scale     float32 `json:"scale"`
					ZeroPoint uint8   `json:"zero_point"`
				} `json:"output"`
			} `json:"config"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(meta["quantized"]), &desc); err != nil {
		t.Fatal(err)
	}
	tensor := func(name string) []byte {
		var e struct {
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(h[name], &e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return data[e.Offsets[0]:e.Offsets[1]]
	}

	ls := q.Layers()
	in := q.InputQuantization()
	if in.Scale != desc.Input.Scale || in.ZeroPoint != desc.Input.ZeroPoint {
		t.Errorf("InputQuantization %+v, file %+v", in, desc.Input)
	}
	if len(ls) != len(desc.Layers) {
		t.Fatalf("%d layers, the file describes %d", len(ls), len(desc.Layers))
	}
	shape, prev := q.InputShape(), in
	for i, l := range ls {
		d := desc.Layers[i]
		kind := map[string]quantize.LayerKind{"QuantizedConv2D": quantize.KindConv2D, "MaxPooling2D": quantize.KindMaxPooling2D,
			"Flatten": quantize.KindFlatten, "QuantizedDense": quantize.KindDense}[d.ClassName]
		if l.Kind != kind || l.Name != d.Config.Name {
			t.Errorf("layer %d: %s %q, file %s %q", i, l.Kind, l.Name, d.ClassName, d.Config.Name)
		}
		if !slices.Equal(l.InputShape, shape) || l.Input != prev {
			t.Errorf("layer %d (%s) takes %v %+v; the layer before gives %v %+v", i, l.Kind, l.InputShape, l.Input, shape, prev)
		}
		shape, prev = l.OutputShape, l.Output
		switch {
		case d.Config.Output != nil && (l.Output.Scale != d.Config.Output.Scale || l.Output.ZeroPoint != d.Config.Output.ZeroPoint):
			t.Errorf("layer %d: output %+v, file %+v", i, l.Output, *d.Config.Output)
		case (l.Kind == quantize.KindMaxPooling2D || l.Kind == quantize.KindFlatten) && l.Output != l.Input:
			t.Errorf("layer %d (%s): output %+v differs from its input %+v", i, l.Kind, l.Output, l.Input)
		case i == len(ls)-1 && l.Output != (quantize.Quantization{}):
			t.Errorf("the last layer's output is %+v; want none (float32)", l.Output)
		}
		if l.Kind != quantize.KindConv2D && l.Kind != quantize.KindDense {
			continue
		}
		k := make([]byte, len(l.Kernel))
		for j, v := range l.Kernel {
			k[j] = byte(v)
		}
		if !bytes.Equal(k, tensor(l.Name+"/kernel")) || !bytes.Equal(f32le(l.KernelScale), tensor(l.Name+"/kernel_scale")) ||
			!bytes.Equal(f32le(l.Bias), tensor(l.Name+"/bias")) {
			t.Errorf("layer %d (%s): kernel, scales or bias differ from the file's", i, l.Name)
		}
	}
	if !slices.Equal(shape, []int{q.Classes()}) {
		t.Errorf("the layers end in shape %v, want (%d)", shape, q.Classes())
	}
	// The copies are the caller's.
	ls[0].Kernel[0]++
	if q.Layers()[0].Kernel[0] == ls[0].Kernel[0] {
		t.Error("changing a Layer's kernel changed the model's")
	}
}

func f32le(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// TestIsQuantizedFile tells a quantized file from a float model file and
// from what is not a model file at all.
func TestIsQuantizedFile(t *testing.T) {
	dir := t.TempDir()
	qpath, fpath := filepath.Join(dir, "int8.safetensors"), filepath.Join(dir, "float.safetensors")
	if err := quantizedBN(t).Save(qpath); err != nil {
		t.Fatal(err)
	}
	m := bnNet()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if err := saving.Save(m, fpath); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(qpath)
	short, huge := filepath.Join(dir, "short"), filepath.Join(dir, "huge")
	_ = os.WriteFile(short, raw[:len(raw)/2][:20], 0o644)
	bad := slices.Clone(raw)
	binary.LittleEndian.PutUint64(bad, 1<<40)
	_ = os.WriteFile(huge, bad, 0o644)
	for path, want := range map[string]bool{qpath: true, fpath: false, short: false, huge: false, filepath.Join(dir, "none"): false, dir: false} {
		if got := quantize.IsQuantizedFile(path); got != want {
			t.Errorf("IsQuantizedFile(%s) = %v, want %v", filepath.Base(path), got, want)
		}
	}
}
