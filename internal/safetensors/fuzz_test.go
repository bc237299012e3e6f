package safetensors

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the reader: it must never panic, and a
// file it accepts must survive a write and a second read bit for bit. The
// raw reader must agree with it (see checkRaw).
// Seeds live in testdata/fuzz/FuzzRead; run with
//
//	go test -run XXX -fuzz FuzzRead -fuzztime 5m ./internal/safetensors/
func FuzzRead(f *testing.F) {
	f.Add(raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32bytes(1, 2)))
	f.Add(raw(`{"k":{"dtype":"I8","shape":[2],"data_offsets":[0,2]},"s":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}`, append([]byte{0x80, 1}, f32bytes(3)...)))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		checkRaw(t, data, file, err)
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := Encode(&b, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("re-encoding an accepted file: %v", err)
		}
		again, err := Decode(b.Bytes())
		if err != nil {
			t.Fatalf("re-reading a re-encoded file: %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) || len(again.Metadata) != len(file.Metadata) {
			t.Fatalf("round trip changed the file: %d→%d tensors", len(file.Tensors), len(again.Tensors))
		}
		for k, v := range file.Metadata {
			if again.Metadata[k] != v {
				t.Fatalf("metadata %q changed", k)
			}
		}
		for i, x := range file.Tensors {
			y := again.Tensors[i]
			if x.Name != y.Name || !equalInts(x.Shape, y.Shape) || len(x.Data) != len(y.Data) {
				t.Fatalf("tensor %q changed", x.Name)
			}
			for j := range x.Data {
				if math.Float32bits(x.Data[j]) != math.Float32bits(y.Data[j]) {
					t.Fatalf("%s[%d] changed", x.Name, j)
				}
			}
		}
	})
}

// FuzzScanEntry holds the fast record scan to encoding/json on arbitrary
// valid JSON. Run with
//
//	go test -run XXX -fuzz FuzzScanEntry -fuzztime 1m ./internal/safetensors/
func FuzzScanEntry(f *testing.F) {
	f.Add([]byte(`{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}`))
	f.Add([]byte(`{"data_offsets":[8,8],"shape":[],"dtype":"BF16"}`))
	f.Add([]byte(`{"dtype":"F32","shape":[1e3],"data_offsets":[0,4000]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		if dtype, shape, offs, ok := scanEntry(raw); ok {
			compareScan(t, raw, dtype, shape, offs)
		}
	})
}
