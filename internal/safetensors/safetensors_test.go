package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// raw assembles a file from a header and a data buffer, as a hostile or
// foreign writer might, without any checking.
func raw(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func f32bytes(vs ...float32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func encode(t *testing.T, ts []Tensor, meta map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, ts, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	in := []Tensor{
		{Name: "dense/kernel", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, float32(math.Inf(-1)), 1e-40, math.MaxFloat32}},
		{Name: "dense/bias", Shape: []int{3}, Data: []float32{0.1, 0.2, 0.3}},
		{Name: "empty", Shape: []int{0, 4}, Data: []float32{}},
		{Name: "scalar", Shape: []int{}, Data: []float32{42}},
		{Name: `odd "name" ü`, Shape: []int{1}, Data: []float32{-0}},
	}
	meta := map[string]string{"format": "goras", "architecture": `{"a": [1, "x"]}`}
	b := encode(t, in, meta)
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Metadata) != 2 || f.Metadata["format"] != "goras" || f.Metadata["architecture"] != meta["architecture"] {
		t.Errorf("metadata = %v, want %v", f.Metadata, meta)
	}
	if len(f.Tensors) != len(in) {
		t.Fatalf("got %d tensors, want %d", len(f.Tensors), len(in))
	}
	// Data order is preserved (the empty tensor sits at its offset).
	for i, want := range in {
		got := f.Tensors[i]
		if got.Name != want.Name || got.DType != "F32" || !equalInts(got.Shape, want.Shape) || len(got.Data) != len(want.Data) {
			t.Fatalf("tensor %d = %q %s %v (%d values), want %q %v (%d)", i, got.Name, got.DType, got.Shape, len(got.Data), want.Name, want.Shape, len(want.Data))
		}
		for j := range want.Data {
			if math.Float32bits(got.Data[j]) != math.Float32bits(want.Data[j]) {
				t.Errorf("%s[%d] = %v, want %v bit for bit", want.Name, j, got.Data[j], want.Data[j])
			}
		}
	}
	if f.Tensor("dense/bias") == nil || f.Tensor("nope") != nil {
		t.Error("File.Tensor lookup is wrong")
	}
	// Encoding is deterministic.
	if !bytes.Equal(b, encode(t, in, meta)) {
		t.Error("two encodings of the same tensors differ")
	}
}

// TestLayoutFollowsSpec reads a written file by hand, byte by byte, the way
// the format's specification describes it.
func TestLayoutFollowsSpec(t *testing.T) {
	b := encode(t, []Tensor{
		{Name: "a", Shape: []int{2}, Data: []float32{1, 2}},
		{Name: "b", Shape: []int{1, 1}, Data: []float32{-1}},
	}, map[string]string{"k": "v"})
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	h := b[8 : 8+n]
	if h[0] != '{' || strings.TrimRight(string(h), " ") != strings.TrimSpace(string(h)) {
		t.Errorf("header %q must start with { and be padded with spaces only", h)
	}
	var parsed map[string]any
	if err := json.Unmarshal(h, &parsed); err != nil {
		t.Fatalf("header is not JSON: %v", err)
	}
	want := map[string]any{
		"__metadata__": map[string]any{"k": "v"},
		"a":            map[string]any{"dtype": "F32", "shape": []any{2.0}, "data_offsets": []any{0.0, 8.0}},
		"b":            map[string]any{"dtype": "F32", "shape": []any{1.0, 1.0}, "data_offsets": []any{8.0, 12.0}},
	}
	if got, _ := json.Marshal(parsed); string(got) != string(mustJSON(want)) {
		t.Errorf("header = %s\nwant     %s", got, mustJSON(want))
	}
	if data := b[8+n:]; !bytes.Equal(data, f32bytes(1, 2, -1)) {
		t.Errorf("data buffer = % x, want little-endian float32 1, 2, -1", data)
	}
}

func TestForeignDTypes(t *testing.T) {
	// F16 values with known float32 equivalents: 1, -2, the largest half,
	// the smallest subnormal half, +Inf, 1/3 rounded, -0.
	f16 := []uint16{0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555, 0x8000, 0x03ff}
	f16want := []float32{1, -2, 65504, 1.0 / (1 << 24), float32(math.Inf(1)), 0.333251953125, float32(math.Copysign(0, -1)), 1023.0 / (1 << 24)}
	bf16 := []uint16{0x3f80, 0x4049, 0xc2f7}
	bf16want := []float32{1, 3.140625, -123.5}
	f64 := []float64{0.1, -1e300, 2.5}
	f64want := []float32{float32(0.1), float32(math.Inf(-1)), 2.5}

	var data []byte
	for _, v := range f16 {
		data = binary.LittleEndian.AppendUint16(data, v)
	}
	for _, v := range bf16 {
		data = binary.LittleEndian.AppendUint16(data, v)
	}
	for _, v := range f64 {
		data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
	}
	h := `{"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]},` +
		`"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]},` +
		`"d":{"dtype":"F64","shape":[3],"data_offsets":[22,46]}}`
	f, err := Decode(raw(h, data))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name, dtype string, want []float32) {
		got := f.Tensor(name)
		if got == nil || got.DType != dtype {
			t.Fatalf("tensor %s missing or wrong dtype: %+v", name, got)
		}
		for i := range want {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got.Data[i], want[i])
			}
		}
	}
	check("h", "F16", f16want)
	check("b", "BF16", bf16want)
	check("d", "F64", f64want)
	if got := f.Tensor("h").Shape; !equalInts(got, []int{2, 4}) {
		t.Errorf("F16 shape = %v", got)
	}

	// Every one of the 65536 half values converts like float64 arithmetic
	// on its fields does.
	for h := range 1 << 16 {
		got := halfToFloat32(uint16(h))
		e, m := (h>>10)&0x1f, float64(h&0x3ff)
		var want float64
		switch {
		case e == 0:
			want = m * math.Pow(2, -24)
		case e == 0x1f && m == 0:
			want = math.Inf(1)
		case e == 0x1f:
			want = math.NaN()
		default:
			want = (1 + m/1024) * math.Pow(2, float64(e-15))
		}
		if h&0x8000 != 0 {
			want = -want
		}
		if math.IsNaN(want) != math.IsNaN(float64(got)) || (!math.IsNaN(want) && float64(got) != want) || math.Signbit(float64(got)) != (h&0x8000 != 0) {
			t.Fatalf("half %#04x → %v, want %v", h, got, want)
		}
	}
}

// TestMalformed feeds files broken in every way the format can be broken and
// checks that each is rejected with an error naming the fault.
func TestMalformed(t *testing.T) {
	ok := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	eight := f32bytes(1, 2)
	hugeLen := make([]byte, 8)
	binary.LittleEndian.PutUint64(hugeLen, 1<<62)
	fileLen := append(binary.LittleEndian.AppendUint64(nil, 50), []byte(`{"a":1}`)...)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "too short to hold the 8-byte header length"},
		{"only 5 bytes", []byte{1, 2, 3, 4, 5}, "too short"},
		{"header length 0", raw("", nil), "below the minimum of 2"},
		{"header length 1", raw("{", nil), "below the minimum of 2"},
		{"header length 2^62", hugeLen, "exceeds the limit"},
		{"header past end of file", fileLen, "exceeds the 7 bytes after it (truncated file?)"},
		{"truncated data", raw(ok, eight)[:len(raw(ok, eight))-3], `the file is truncated: 3 bytes are missing; its header places tensor "a" at data_offsets [0, 8] but the data buffer after the header holds 5 bytes`},
		{"header not an object", raw(`[1, 2]  `, nil), "must start with '{'"},
		{"header not JSON", raw(`{"a": }`, nil), "not valid JSON"},
		{"header not UTF-8", raw("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"trailing garbage", raw(`{}xyz`, nil), "unexpected bytes after its JSON object"},
		{"entry not an object", raw(`{"a":[1]}`, nil), `tensor "a": entry must be an object`},
		{"missing dtype", raw(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, eight), `tensor "a": entry needs dtype, shape and data_offsets`},
		{"unknown field", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, eight), `unknown field "x"`},
		{"unknown dtype", raw(`{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}`, eight), `tensor "a": unknown dtype "F31"`},
		{"unsupported dtype", raw(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, eight), `dtype I64 is valid safetensors but goras reads only [F32 F64 F16 BF16]`},
		{"dtype not a string", raw(`{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}`, eight), "dtype must be a string"},
		{"negative dimension", raw(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "shape must be an array of non-negative integers"},
		{"fractional dimension", raw(`{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}`, eight), "shape must be an array of non-negative integers"},
		{"shape not an array", raw(`{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}`, eight), "shape must be an array"},
		{"three offsets", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}`, eight), "data_offsets must be [begin, end]"},
		{"begin after end", raw(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, eight), "begin after end"},
		{"offsets past buffer", raw(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, eight), "truncated: 8 bytes are missing"},
		{"size mismatch", raw(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), "shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8"},
		{"shape overflow", raw(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, eight), "has too many elements"},
		{"bytes overflow", raw(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}`, eight), "has too many elements"},
		{"overlap", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), `tensor "b": data_offsets [4, 8] overlap tensor "a"`},
		{"gap", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "leave a gap of 4 unused bytes"},
		{"unused tail", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight), "4 unused bytes at the end"},
		{"duplicate name", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), `header has the key "a" twice`},
		{"metadata not an object", raw(`{"__metadata__":[1]}`, nil), "__metadata__ must be an object of strings"},
		{"metadata value not a string", raw(`{"__metadata__":{"seed":1}}`, nil), `__metadata__["seed"] must be a string, got 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Decode(c.file)
			if err == nil {
				t.Fatalf("accepted: %+v", f)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
		})
	}
}

// TestSmallTensorBeforeWideOne: the read buffer was sized by the first
// tensor, so a 4-byte F16 tensor before an 8-byte F64 one made the reader
// loop forever, reading 0 bytes at a time.
func TestSmallTensorBeforeWideOne(t *testing.T) {
	h := `{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"d":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}`
	data := []byte{0, 0x3c, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f} // 1, -2 in F16; 1 in F64
	f, err := Decode(raw(h, data))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Tensor("h").Data; got[0] != 1 || got[1] != -2 {
		t.Errorf("h = %v, want [1 -2]", got)
	}
	if got := f.Tensor("d").Data; got[0] != 1 {
		t.Errorf("d = %v, want [1]", got)
	}
}

func TestValidEdgeCases(t *testing.T) {
	// The smallest file, null metadata, a zero-sized tensor and padding.
	for _, file := range [][]byte{
		raw(`{}`, nil),
		raw(`{"__metadata__":null}   `, nil),
		raw(`{"z":{"dtype":"F32","shape":[0,1000000],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32bytes(1, 2)),
	} {
		if _, err := Decode(file); err != nil {
			t.Errorf("%q: %v", file, err)
		}
	}
	// A zero-sized tensor with a dimension past 2³¹: valid where an int
	// holds it, a named error where it does not (32-bit builds).
	wide := raw(`{"z":{"dtype":"F32","shape":[0,1000000000000],"data_offsets":[0,0]}}`, nil)
	_, err := Decode(wide)
	if strconv.IntSize == 64 && err != nil {
		t.Errorf("%q: %v", wide, err)
	}
	if strconv.IntSize == 32 && (err == nil || !strings.Contains(err.Error(), "shape [0 1000000000000] has a dimension too large")) {
		t.Errorf("%q on a 32-bit build: error %v, want the dimension named too large", wide, err)
	}
}

func TestReadFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(path, raw(`{"a":1}`, nil), 0o644)
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path+`: tensor "a"`) {
		t.Errorf("error %v should name the file and the tensor", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing")); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	v1 := []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}
	if err := WriteFile(path, v1, nil); err != nil {
		t.Fatal(err)
	}
	// A failing write leaves the previous file as it was and no temp file.
	bad := []Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1}}}
	if err := WriteFile(path, bad, nil); err == nil || !strings.Contains(err.Error(), `tensor "w" has shape [2] (2 values) but 1 values`) {
		t.Errorf("bad tensor: %v", err)
	}
	f, err := ReadFile(path)
	if err != nil || f.Tensors[0].Data[0] != 1 {
		t.Fatalf("old file damaged: %v %+v", err, f)
	}
	// A good write replaces it.
	if err := WriteFile(path, []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{2}}}, nil); err != nil {
		t.Fatal(err)
	}
	if f, err = ReadFile(path); err != nil || f.Tensors[0].Data[0] != 2 {
		t.Fatalf("not replaced: %v %+v", err, f)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the model file: %v", len(entries), entries)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.safetensors"), v1, nil); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("writing into a missing directory: %v", err)
	}
	// Through internal/atomicfile: a read-only model is not replaced, and
	// the error names it, not a temporary file.
	os.Chmod(path, 0o444)
	err = WriteFile(path, v1, nil)
	if err == nil || !strings.Contains(err.Error(), "safetensors: cannot write "+path+": it is read-only") || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("read-only file: %v", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, c := range []struct {
		ts   []Tensor
		want string
	}{
		{[]Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}}, `two tensors are called "a"`},
		{[]Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, "cannot be called __metadata__"},
		{[]Tensor{{Name: "a", Shape: []int{-1}, Data: nil}}, "negative dimension"},
	} {
		if err := Encode(&bytes.Buffer{}, c.ts, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Encode(%v) error %v, want %q", c.ts, err, c.want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
