package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRawRoundTrip writes I8 and F32 tensors with WriteRawFile and reads
// them back with DecodeRaw: the same bytes, dtypes, shapes and metadata,
// laid out as the format says (checked on the header's JSON and the data
// buffer by hand); the float32 reader refuses the I8 tensor, as before.
func TestRawRoundTrip(t *testing.T) {
	in := []Raw{
		{Name: "conv/kernel", DType: "I8", Shape: []int{1, 1, 2, 3}, Bytes: []byte{0x81, 0x7f, 0, 1, 0xff, 2}},
		{Name: "conv/kernel_scale", DType: "F32", Shape: []int{3}, Bytes: f32bytes(0.5, 0.25, 2)},
		{Name: "empty", DType: "I8", Shape: []int{0}, Bytes: nil},
		{Name: "odd", DType: "I8", Shape: []int{1}, Bytes: []byte{0x80}},
	}
	meta := map[string]string{"format": "goras-int8"}
	path := filepath.Join(t.TempDir(), "q.safetensors")
	if err := WriteRawFile(path, in, meta); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(file)
	var h map[string]any
	if err := json.Unmarshal(file[8:8+n], &h); err != nil || n%8 != 0 {
		t.Fatalf("header of %d bytes: %v", n, err)
	}
	want := `{"__metadata__":{"format":"goras-int8"},` +
		`"conv/kernel":{"data_offsets":[0,6],"dtype":"I8","shape":[1,1,2,3]},` +
		`"conv/kernel_scale":{"data_offsets":[6,18],"dtype":"F32","shape":[3]},` +
		`"empty":{"data_offsets":[18,18],"dtype":"I8","shape":[0]},` +
		`"odd":{"data_offsets":[18,19],"dtype":"I8","shape":[1]}}`
	if got := string(mustJSON(h)); got != want {
		t.Errorf("header %s\nwant   %s", got, want)
	}
	wantData := append(append([]byte{0x81, 0x7f, 0, 1, 0xff, 2}, f32bytes(0.5, 0.25, 2)...), 0x80)
	if !bytes.Equal(file[8+n:], wantData) {
		t.Errorf("data % x, want % x", file[8+n:], wantData)
	}

	got, gotMeta, err := DecodeRaw(file, "I8", "F32")
	if err != nil {
		t.Fatal(err)
	}
	if len(gotMeta) != 1 || gotMeta["format"] != "goras-int8" || len(got) != len(in) {
		t.Fatalf("metadata %v, %d tensors; want %v and %d", gotMeta, len(got), meta, len(in))
	}
	// In data order; the empty tensor sorts before "odd" at offset 18.
	for i, w := range in {
		g := got[i]
		if g.Name != w.Name || g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || !bytes.Equal(g.Bytes, w.Bytes) {
			t.Errorf("tensor %d: %+v, want %+v", i, g, w)
		}
	}
	if _, err := Decode(file); err == nil || !strings.Contains(err.Error(), `tensor "conv/kernel": dtype I8 is valid safetensors but goras reads only [F32 F64 F16 BF16]`) {
		t.Errorf("Decode of I8: %v, want the float32 reader's refusal", err)
	}
	var b bytes.Buffer
	if err := EncodeRaw(&b, in, meta); err != nil || !bytes.Equal(b.Bytes(), file) {
		t.Errorf("EncodeRaw: %v, or bytes differ from WriteRawFile's", err)
	}
}

// TestDecodeRawRefuses checks that DecodeRaw holds files to Decode's rules
// and to the dtypes asked for, and that EncodeRaw refuses tensors whose
// bytes do not fit their shape.
func TestDecodeRawRefuses(t *testing.T) {
	i8 := `{"k":{"dtype":"I8","shape":[2,2],"data_offsets":[0,4]}}`
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"dtype not asked for", raw(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, []byte{0, 0}), `tensor "a": dtype F16 is valid safetensors but goras reads only [I8 F32]`},
		{"short data", raw(i8, []byte{1, 2, 3}), "the file is truncated: 1 bytes are missing"},
		{"wrong size", raw(`{"k":{"dtype":"I8","shape":[3],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4}), "shape [3] of I8 needs 3 bytes but data_offsets [0, 4] span 4"},
		{"gap", raw(`{"k":{"dtype":"I8","shape":[2],"data_offsets":[1,3]}}`, []byte{1, 2, 3}), "leave a gap of 1"},
		{"too short", []byte{1, 2}, "too short"},
		{"metadata not strings", raw(`{"__metadata__":{"a":1}}`, nil), `__metadata__["a"] must be a string`},
	} {
		if _, _, err := DecodeRaw(c.file, "I8", "F32"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	var b bytes.Buffer
	for _, c := range []struct {
		t    Raw
		want string
	}{
		{Raw{Name: "k", DType: "I8", Shape: []int{2, 2}, Bytes: []byte{1, 2, 3}}, `tensor "k" has shape [2 2] of I8 (4 bytes) but 3 bytes`},
		{Raw{Name: "k", DType: "F33", Shape: []int{1}, Bytes: []byte{1}}, `dtype "F33", which the format does not define`},
		{Raw{Name: "k", DType: "I8", Shape: []int{-1}}, "negative dimension"},
		{Raw{Name: "__metadata__", DType: "I8", Shape: []int{0}}, "cannot be called __metadata__"},
	} {
		if err := EncodeRaw(&b, []Raw{c.t}, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("EncodeRaw %+v: error %v, want %q", c.t, err, c.want)
		}
	}
	if b.Len() != 0 {
		t.Errorf("refused tensors wrote %d bytes", b.Len())
	}
}

// checkRaw holds DecodeRaw to Decode on the same bytes (file and err are
// Decode's): restricted to Decode's dtypes it accepts the same files, with
// the same error, and gives the same tensors; accepting every dtype, it
// accepts at least those files, and what it gives survives EncodeRaw and
// a second DecodeRaw byte for byte.
func checkRaw(t *testing.T, data []byte, file *File, err error) {
	ts, _, rerr := DecodeRaw(data, readable...)
	if (err == nil) != (rerr == nil) || (err != nil && err.Error() != rerr.Error()) {
		t.Fatalf("Decode: %v; DecodeRaw: %v", err, rerr)
	}
	if err == nil {
		for i, x := range file.Tensors {
			if y := ts[i]; x.Name != y.Name || x.DType != y.DType || !slices.Equal(x.Shape, y.Shape) {
				t.Fatalf("tensor %d: Decode %q %s %v, DecodeRaw %q %s %v", i, x.Name, x.DType, x.Shape, y.Name, y.DType, y.Shape)
			}
		}
	}
	var all []string
	for d := range dtypeSizes {
		all = append(all, d)
	}
	ts, meta, aerr := DecodeRaw(data, all...)
	if aerr != nil {
		if err == nil {
			t.Fatalf("DecodeRaw of every dtype refuses a file Decode reads: %v", aerr)
		}
		return
	}
	var b bytes.Buffer
	if err := EncodeRaw(&b, ts, meta); err != nil {
		t.Fatalf("re-encoding an accepted file: %v", err)
	}
	again, meta2, err := DecodeRaw(b.Bytes(), all...)
	if err != nil || len(again) != len(ts) || len(meta2) != len(meta) {
		t.Fatalf("re-reading a re-encoded file: %v, %d→%d tensors", err, len(ts), len(again))
	}
	for i, x := range ts {
		if y := again[i]; x.Name != y.Name || x.DType != y.DType || !slices.Equal(x.Shape, y.Shape) || !bytes.Equal(x.Bytes, y.Bytes) {
			t.Fatalf("tensor %q changed", x.Name)
		}
	}
}

// TestMetadataErrorIsStable: a header whose metadata has several values
// that are not strings gets the same error on every read, naming the
// first such key in order (FuzzRead found Decode and DecodeRaw naming
// different keys of one file, from Go's random map order).
func TestMetadataErrorIsStable(t *testing.T) {
	file := raw(`{"__metadata__":{"d":1,"b":[2],"c":"ok","a":{"x":"y"},"e":null}}`, nil)
	for range 20 {
		_, err := Decode(file)
		if err == nil || !strings.Contains(err.Error(), `__metadata__["a"] must be a string, got {"x":"y"}`) {
			t.Fatalf("error %v, want the one about key \"a\"", err)
		}
	}
}
