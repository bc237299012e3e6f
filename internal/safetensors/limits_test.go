package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// emptyTensors is a header of n zero-sized tensors, the cheapest records a
// hostile file can pack into MaxHeaderSize.
func emptyTensors(n int) []byte {
	var sb strings.Builder
	sb.WriteByte('{')
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`, i)
	}
	sb.WriteByte('}')
	return raw(sb.String(), nil)
}

// TestTensorCountLimit: a header of more than MaxTensors records is refused,
// and reading it (or a header just under the limit) allocates a bounded
// multiple of the header's size. Before the limit and the fast record scan,
// 100,001 empty records took 0.75 s and 390 MB, 1.5 million 14 s and 5.8 GB.
func TestTensorCountLimit(t *testing.T) {
	for _, n := range []int{MaxTensors, MaxTensors + 1} {
		file := emptyTensors(n)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f, err := Decode(file)
		runtime.ReadMemStats(&after)
		if n > MaxTensors {
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d tensors", MaxTensors)) {
				t.Errorf("%d tensors: error %v, want the tensor limit", n, err)
			}
		} else if err != nil || len(f.Tensors) != n {
			t.Errorf("%d tensors: %v", n, err)
		}
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(25*len(file)); got > limit {
			t.Errorf("%d tensors (%d byte file): allocated %d bytes, want at most 25× the file, %d", n, len(file), got, limit)
		}
	}
}

// TestTruncatedFileSaysSo cuts a written file short by k bytes and checks
// that the error says it is truncated and by how much.
func TestTruncatedFileSaysSo(t *testing.T) {
	b := encode(t, []Tensor{
		{Name: "dense/kernel", Shape: []int{3, 4}, Data: make([]float32, 12)},
		{Name: "dense/bias", Shape: []int{4}, Data: make([]float32, 4)},
	}, map[string]string{"k": "v"})
	for _, k := range []int{1, 4, 17, 64} {
		_, err := Decode(b[:len(b)-k])
		want := fmt.Sprintf("safetensors: the file is truncated: %d bytes are missing", k)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("cut by %d: error %v, want it to start %q", k, err, want)
		}
	}
}

// TestScanEntryAgreesWithDecode holds the fast record scan to
// encoding/json: where the scan accepts a record, both read the same
// values; where it declines, the slow path gives the message.
func TestScanEntryAgreesWithDecode(t *testing.T) {
	for _, c := range []struct {
		raw    string
		accept bool
	}{
		{`{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}`, true},
		{` { "data_offsets" : [ 8 , 8 ] ,"shape":[ ],"dtype" :"F16"} `, true},
		{`{"dtype":"F64","shape":[18446744073709551615,0],"data_offsets":[0,0]}`, true},
		{`{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,0]}`, false},
		{`{"dtype":"F32","shape":[1e3],"data_offsets":[0,4000]}`, false},
		{`{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}`, false},
		{`{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}`, false},
		{`{"dtype":"F\u0033\u0032","shape":[1],"data_offsets":[0,4]}`, false},
		{`{"\u0064type":"F32","shape":[1],"data_offsets":[0,4]}`, false},
		{`{"DType":"F32","shape":[1],"data_offsets":[0,4]}`, false},
		{`{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,2]}`, false},
		{`{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}`, false},
		{`{"dtype":"F32","shape":null,"data_offsets":[0,4]}`, false},
		{`{"dtype":"F32","shape":[1]}`, false},
		{`{}`, false},
		{`[1]`, false},
	} {
		if !json.Valid([]byte(c.raw)) {
			t.Fatalf("%s is not JSON", c.raw)
		}
		dtype, shape, offs, ok := scanEntry([]byte(c.raw))
		if ok != c.accept {
			t.Errorf("scanEntry(%s) ok = %v, want %v", c.raw, ok, c.accept)
		}
		if ok {
			compareScan(t, []byte(c.raw), dtype, shape, offs)
		}
	}
}

// compareScan checks a record the scan accepted against encoding/json.
func compareScan(t *testing.T, raw []byte, dtype string, shape, offs []uint64) {
	t.Helper()
	var r struct {
		DType       string   `json:"dtype"`
		Shape       []uint64 `json:"shape"`
		DataOffsets []uint64 `json:"data_offsets"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		t.Fatalf("scan accepted %s, which encoding/json rejects: %v", raw, err)
	}
	if r.DType != dtype || !slices.Equal(r.Shape, shape) || !slices.Equal(r.DataOffsets, offs) {
		t.Fatalf("%s: scan read %q %v %v, encoding/json %q %v %v", raw, dtype, shape, offs, r.DType, r.Shape, r.DataOffsets)
	}
}
