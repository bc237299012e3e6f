package arrays

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestNumpyFiles reads the files numpy wrote (testdata/gen.py) and checks
// every value.
func TestNumpyFiles(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		file  string
		shape []int
		data  []float32
	}{
		{"f4.npy", []int{2, 3}, []float32{-1, -0.5, 0, 0.5, 1, 1.5}},
		{"f8_big_endian.npy", []int{2}, []float32{1.5, -2.25}},
		{"u1.npy", []int{1, 3}, []float32{0, 127, 255}},
		{"i8.npy", []int{3}, []float32{-3, 0, 16777216}},
		{"f2.npy", []int{6}, []float32{1, -2, 0.5, 65504, 1.0 / (1 << 24), inf}},
		{"bool.npy", []int{3}, []float32{1, 0, 1}},
		{"scalar.npy", nil, []float32{3.5}},
		{"empty.npy", []int{0, 3}, []float32{}},
		{"v2.npy", []int{1, 2}, []float32{7, 8}},
	} {
		x, err := LoadNPY(filepath.Join("testdata", c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if !slices.Equal(x.Shape(), c.shape) && !(len(c.shape) == 0 && len(x.Shape()) == 0) || !slices.Equal(x.Data(), c.data) {
			t.Errorf("%s: shape %v data %v, want %v %v", c.file, x.Shape(), x.Data(), c.shape, c.data)
		}
	}
}

func TestNumpyFilesRefused(t *testing.T) {
	for file, want := range map[string]string{
		"fortran.npy":    "testdata/fortran.npy: the array is in Fortran order; save it in C order: np.save(path, np.ascontiguousarray(a))",
		"i8_too_big.npy": "testdata/i8_too_big.npy: element 1 is 1099511627776, which float32 cannot hold exactly",
		"complex.npy":    "testdata/complex.npy: dtype \"<c16\" (complex) is not supported",
		"table.csv":      "testdata/table.csv: not a .npy file: it starts with \"a,b,c\\n\"",
		"missing.npy":    "no such file",
	} {
		_, err := LoadNPY(filepath.Join("testdata", file))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "arrays: ") {
			t.Errorf("%s: error %v, want one containing %q", file, err, want)
		}
	}
}

func TestNPZ(t *testing.T) {
	named, err := LoadNPZ("testdata/named.npz")
	if err != nil {
		t.Fatal(err)
	}
	if got := Names(named); !slices.Equal(got, []string{"x_train", "y_train"}) {
		t.Fatalf("names %v", got)
	}
	x, y := named["x_train"], named["y_train"]
	if !slices.Equal(x.Shape(), []int{2, 2, 3}) || x.Data()[11] != 11 || !slices.Equal(y.Data(), []float32{5, 0}) {
		t.Errorf("x %v %v, y %v", x.Shape(), x.Data(), y.Data())
	}
	comp, err := LoadNPZ("testdata/compressed.npz")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := comp["arr_0"], comp["arr_1"]; a == nil || b == nil ||
		!slices.Equal(a.Data(), []float32{0.25, 0.5}) || !slices.Equal(b.Shape(), []int{2, 1}) || !slices.Equal(b.Data(), []float32{1, 2}) {
		t.Errorf("savez_compressed arrays: %v", comp)
	}
	if _, err := LoadNPZ("testdata/f4.npy"); err == nil || !strings.Contains(err.Error(), "testdata/f4.npy: not a readable .npz (zip) file") {
		t.Errorf("a .npy given as .npz: %v", err)
	}
}

// npy builds a version 1.0 .npy file from a header dict and data bytes,
// padded as numpy pads it.
func npy(dict string, data []byte) []byte {
	h := dict + " "
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), binary.LittleEndian.AppendUint16(nil, uint16(len(h)))...)
	return append(append(b, h...), data...)
}

func f32bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// TestReadNPYGoMade checks files made here: one numpy could have written,
// and ways a file can be wrong.
func TestReadNPYGoMade(t *testing.T) {
	good := npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f32bytes(1, 2, 3))
	x, err := ReadNPY(bytes.NewReader(good), "good")
	if err != nil || !slices.Equal(x.Data(), []float32{1, 2, 3}) {
		t.Fatalf("good file: %v %v", x, err)
	}
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"short data", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", f32bytes(1, 2, 3)),
			"the header says float32 (4,), 16 bytes of data, but 12 bytes follow it"},
		{"long data", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32bytes(1, 2, 3)),
			"the header says float32 (2,), 8 bytes of data, but 12 bytes follow it"},
		{"huge shape", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", nil),
			"holds more than 2147483647 elements, the limit"},
		{"huge dim beside a zero", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2147483648), }", nil),
			"has a dimension of 2147483648, more than 2147483647, the limit"},
		{"negative dim", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", nil), "not a size >= 0"},
		{"no shape", npy("{'descr': '<f4', 'fortran_order': False}", nil), "shape is <nil>, not a tuple"},
		{"structured", npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", nil), "structured arrays"},
		{"text", npy("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", nil), "(text) is not supported"},
		{"nesting", npy("{'descr': "+strings.Repeat("(", 100), nil), "nests deeper than 16"},
		{"unclosed", npy("{'descr': '<f4", nil), "not closed"},
		{"code", npy("__import__('os').system('x')", nil), "unexpected"},
		{"version", append([]byte("\x93NUMPY\x09\x00"), 0, 0), "version 9.0"},
		{"v2 header claim", append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0x7f), "claims 2147483647 bytes"},
		{"empty", nil, "not a .npy file: 0 bytes"},
		{"float64 overflow", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", binary.LittleEndian.AppendUint64(nil, math.Float64bits(1e300))),
			"element 0 is 1e+300, beyond float32's range"},
	} {
		_, err := ReadNPY(bytes.NewReader(c.file), "bad.npy")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "arrays: bad.npy: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// A reader that hides its size: the data is read as it comes.
	if _, err := ReadNPY(struct{ io.Reader }{bytes.NewReader(good[:len(good)-1])}, "pipe"); err == nil ||
		!strings.Contains(err.Error(), "12 bytes of data, but only 11 follow it") {
		t.Errorf("truncated stream: %v", err)
	}
}

// A stream whose header claims 8 GB but holds 12 bytes fails after
// reading them, without allocating the claim.
func TestReadNPYStreamClaimsTooMuch(t *testing.T) {
	b := npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824,), }", f32bytes(1, 2, 3))
	_, err := ReadNPY(struct{ io.Reader }{bytes.NewReader(b)}, "pipe")
	if err == nil || !strings.Contains(err.Error(), "8589934592 bytes of data, but only 12 follow it") {
		t.Errorf("error %v", err)
	}
}

// A deflated member claiming a thousand times its packed bytes (deflate's
// most, so not refused unread) costs what its data holds, not its claim:
// a 100 kB file must not allocate 100 MB before its data is found missing.
func TestNPZMemberClaimsTooMuch(t *testing.T) {
	const packed = 100 << 10
	data := make([]byte, packed) // incompressible: packs to about its size
	rand.NewChaCha8([32]byte{1}).Read(data)
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestSpeed)
	claim := uint64(packed * 1000)
	hdr := npy(fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }", claim-128), nil)
	fw.Write(hdr)
	fw.Write(data)
	fw.Close()
	var file bytes.Buffer
	zw := zip.NewWriter(&file)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "x.npy", Method: zip.Deflate,
		CompressedSize64: uint64(z.Len()), UncompressedSize64: claim, CRC32: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(z.Bytes())
	zw.Close()
	path := filepath.Join(t.TempDir(), "claim.npz")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = LoadNPZ(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d bytes of data, but only ", claim-128)) {
		t.Errorf("error %v", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("allocated %d MB for a file of %d kB", got>>20, file.Len()>>10)
	}
}
