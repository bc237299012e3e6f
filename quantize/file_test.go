package quantize_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// quantizedBN is bnNet quantized, with class names.
func quantizedBN(t testing.TB) *quantize.Model {
	m := bnNet()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	randomWeights(m, 5)
	if err := m.SetClassNames([]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}); err != nil {
		t.Fatal(err)
	}
	q, err := quantize.Quantize(m, images(100, 7))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// header reads a safetensors file's JSON header.
func header(t *testing.T, path string) map[string]json.RawMessage {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestSaveLoadRoundTrip saves a quantized model and loads it back: the
// same outputs bit for bit, the same shape and class names, and a file of
// I8 kernels with F32 scales and biases that a plain safetensors reader
// understands.
func TestSaveLoadRoundTrip(t *testing.T) {
	q := quantizedBN(t)
	path := filepath.Join(t.TempDir(), "bn-int8.safetensors")
	if err := q.Save(path); err != nil {
		t.Fatal(err)
	}
	r, err := quantize.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	x := images(77, 8)
	want, _ := q.Predict(x)
	got, err := r.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "loaded model", got.Data(), want.Data())
	if !slices.Equal(r.InputShape(), []int{28, 28, 1}) || r.Classes() != 10 || r.ClassNames()[9] != "nine" || r.Name() != q.Name() {
		t.Errorf("loaded model: input %v, %d classes, names %v, name %q", r.InputShape(), r.Classes(), r.ClassNames(), r.Name())
	}
	h := header(t, path)
	for name, dtype := range map[string]string{"conv2d/kernel": "I8", "conv2d/kernel_scale": "F32", "dense_1/bias": "F32", "dense/kernel": "I8"} {
		var e struct {
			DType string `json:"dtype"`
			Shape []int  `json:"shape"`
		}
		if err := json.Unmarshal(h[name], &e); err != nil || e.DType != dtype {
			t.Errorf("tensor %s: %s %v (%v), want dtype %s", name, e.DType, e.Shape, err, dtype)
		}
	}
	// Saving the loaded model writes the same file.
	again := filepath.Join(t.TempDir(), "again.safetensors")
	if err := r.Save(again); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("saving the loaded model gives a different file")
	}
}

// rewrite writes a copy of the file at path with its metadata changed by
// edit, into dir.
func rewrite(t *testing.T, path, dir string, edit func(meta map[string]string)) string {
	raw, _ := os.ReadFile(path)
	n := binary.LittleEndian.Uint64(raw)
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	json.Unmarshal(h["__metadata__"], &meta)
	edit(meta)
	h["__metadata__"], _ = json.Marshal(meta)
	nh, _ := json.Marshal(h)
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(nh)))
	out.Write(nh)
	out.Write(raw[8+n:])
	p := filepath.Join(dir, "edited.safetensors")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadRefusesBadFiles checks that damaged or foreign files give an
// error naming the file and the fault, never a panic.
func TestLoadRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := quantizedBN(t).Save(good); err != nil {
		t.Fatal(err)
	}
	float := filepath.Join(dir, "float.safetensors")
	m := bnNet()
	if err := saving.Save(m, float); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.safetensors")
	os.WriteFile(truncated, raw[:len(raw)-100], 0o644)
	desc := func(f func(string) string) func(map[string]string) {
		return func(meta map[string]string) { meta["quantized"] = f(meta["quantized"]) }
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "none.safetensors"), "no such file"},
		{"float model", float, "not a quantized goras model"},
		{"truncated", truncated, "the file is truncated: 100 bytes are missing"},
		{"unknown layer", rewrite(t, good, t.TempDir(), desc(func(s string) string { return strings.Replace(s, "MaxPooling2D", "AveragePooling2D", 1) })), `class "AveragePooling2D"`},
		{"negative scale", rewrite(t, good, t.TempDir(), desc(func(s string) string { return strings.Replace(s, `"input":{"scale":`, `"input":{"scale":-`, 1) })), "positive finite scale"},
		{"wrong filters", rewrite(t, good, t.TempDir(), desc(func(s string) string { return strings.Replace(s, `"filters":8`, `"filters":9`, 1) })), "has shape [3 3 1 8]; want [3 3 1 9]"},
		{"huge kernel", rewrite(t, good, t.TempDir(), desc(func(s string) string {
			return strings.Replace(s, `"kernel_size":[3,3]`, `"kernel_size":[3000000,3]`, 1)
		})), "kernel_size"},
		{"no output layer", rewrite(t, good, t.TempDir(), desc(func(s string) string { return s[:strings.LastIndex(s, `,{"class_name":"QuantizedDense"`)] + "]}" })), "only it, has float outputs"},
		{"class names", rewrite(t, good, t.TempDir(), func(meta map[string]string) { meta["class_names"] = `["a"]` }), "class_names must be a JSON list of 10 names"},
		{"unknown field", rewrite(t, good, t.TempDir(), desc(func(s string) string { return strings.Replace(s, `"name":`, `"nme":1,"name":`, 1) })), "unknown field"},
	} {
		_, err := quantize.Load(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Base(c.path)) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", c.name, err, c.want)
		}
	}
}

// tinyNet is bnNet's kinds of layer at the smallest size: its quantized
// file is 1 KB, which the fuzzer mutates and minimizes quickly (bnNet's 14
// KB left a worker minimizing one input for the whole run).
func tinyNet() *goras.Model {
	return goras.NewSequential(
		layers.Input(6, 6, 1),
		layers.Conv2D(2, 3, layers.WithPadding("same"), layers.WithUseBias(false)),
		layers.BatchNormalization(),
		layers.Activation("relu"),
		layers.MaxPooling2D(),
		layers.Conv2D(3, 2, layers.WithStrides(2), layers.WithPadding("same")),
		layers.Flatten(),
		layers.Dense(4, layers.WithActivation("relu")),
		layers.Dense(3, layers.WithActivation("softmax")),
	)
}

// FuzzLoad feeds Decode damaged copies of a good file: it must return a
// model or an error, never panic, and a model it returns must predict
// without panicking (when small enough to run quickly).
func FuzzLoad(f *testing.F) {
	m := tinyNet()
	if err := m.Build(); err != nil {
		f.Fatal(err)
	}
	randomWeights(m, 5)
	calib := tensor.New(4, 6, 6, 1)
	for i, d := 0, calib.Data(); i < len(d); i++ {
		d[i] = float32(i%7) / 7
	}
	q, err := quantize.Quantize(m, calib)
	if err != nil {
		f.Fatal(err)
	}
	good := filepath.Join(f.TempDir(), "good.safetensors")
	if err := q.Save(good); err != nil {
		f.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	f.Add(raw)
	f.Add(raw[:len(raw)/2])
	f.Add(bytes.Replace(raw, []byte(`"filters":2`), []byte(`"filters":0`), 1))
	limitMinimizing(f, "1000x")
	// The bytes, not a file per input: writing one stalls the fuzzer.
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := quantize.Decode(b)
		if err != nil || quantize.ModelBytes(m) > 1<<20 {
			return
		}
		x := tensor.New(append([]int{2}, m.InputShape()...)...)
		for i, d := 0, x.Data(); i < len(d); i++ {
			d[i] = float32(i%5) - 2
		}
		y, err := m.Predict(x)
		if err != nil || y.Len() != 2*m.Classes() {
			t.Fatalf("a model of input %v and %d classes: Predict gave %v, %v", m.InputShape(), m.Classes(), y, err)
		}
	})
}

// limitMinimizing sets -fuzzminimizetime to limit unless it was given.
// Go minimizes every input that reaches new code, for up to 60 s, by
// trying to drop each pair of its bytes: for a file of 2 KB that is
// millions of runs of Decode, and a 15-second run spent all but its first
// second minimizing (8 inputs fuzzed; 185,000 with minimizing off). The
// coordinator reads the flag when f.Fuzz starts; a crashing input is then
// reported less reduced.
func limitMinimizing(f *testing.F, limit string) {
	const name = "test.fuzzminimizetime"
	given := false
	flag.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	if !given && flag.Lookup(name) != nil {
		if err := flag.Set(name, limit); err != nil {
			f.Fatal(err)
		}
	}
}
