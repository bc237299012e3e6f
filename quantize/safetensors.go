package quantize

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/goras-ml/goras/internal/atomicfile"
)

// A quantized model file is a safetensors file, the format other
// frameworks read, with int8 ("I8") tensors beside float32 ("F32") ones.
// internal/safetensors reads and writes float32 only (every goras model
// file's weights), so the quantized files have this small codec of their
// own; it trusts nothing it reads, as that one does.

// blob is one tensor: its dtype ("I8" or "F32"), shape and little-endian
// bytes.
type blob struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

var dtypeSize = map[string]int{"I8": 1, "F32": 4}

func i8Blob(name string, v []int8, shape ...int) blob {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return blob{name, "I8", shape, b}
}

func f32Blob(name string, v []float32, shape ...int) blob {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return blob{name, "F32", shape, b}
}

// writeBlobs writes the tensors, in order, and the metadata to path
// atomically.
func writeBlobs(path string, bs []blob, meta map[string]string) error {
	var h bytes.Buffer
	h.WriteString(`{"__metadata__":`)
	mj, err := json.Marshal(meta) // keys sorted: equal models give equal files
	if err != nil {
		return err
	}
	h.Write(mj)
	off := 0
	for _, b := range bs {
		nj, _ := json.Marshal(b.name)
		sj, _ := json.Marshal(b.shape)
		fmt.Fprintf(&h, `,%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, nj, b.dtype, sj, off, off+len(b.data))
		off += len(b.data)
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(h.Len()))
		if _, err := w.Write(n[:]); err != nil {
			return err
		}
		if _, err := w.Write(h.Bytes()); err != nil {
			return err
		}
		for _, b := range bs {
			if _, err := w.Write(b.data); err != nil {
				return err
			}
		}
		return nil
	})
}

// maxHeader bounds the header, as internal/safetensors does.
const maxHeader = 100_000_000

// parseBlobs reads the bytes of a safetensors file of I8 and F32 tensors. Every offset,
// shape and length is checked against the file before use.
func parseBlobs(raw []byte) (map[string]blob, map[string]string, error) {
	if len(raw) < 8 {
		return nil, nil, fmt.Errorf("%d bytes is too short for a safetensors file (8-byte header length, header, data)", len(raw))
	}
	hl := binary.LittleEndian.Uint64(raw)
	if hl > maxHeader || hl > uint64(len(raw)-8) {
		return nil, nil, fmt.Errorf("header length %d does not fit in the file's %d bytes (truncated, or not a safetensors file)", hl, len(raw))
	}
	head, data := raw[8:8+hl], raw[8+hl:]
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(head, &entries); err != nil {
		return nil, nil, fmt.Errorf("header is not a JSON object: %v", err)
	}
	var meta map[string]string
	if m, ok := entries["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("__metadata__ is not an object of strings: %v", err)
		}
		delete(entries, "__metadata__")
	}
	blobs := map[string]blob{}
	var spans []span
	// In name order, so that a file with several faults always gets the
	// same error.
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		e := entries[name]
		var rec struct {
			DType   string   `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets []uint64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(e, &rec); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %v", name, err)
		}
		size, ok := dtypeSize[rec.DType]
		if !ok {
			return nil, nil, fmt.Errorf("tensor %q has dtype %q; a quantized model holds I8 and F32 tensors only", name, rec.DType)
		}
		n := uint64(size)
		for _, d := range rec.Shape {
			if d < 0 || (d > 0 && n > uint64(len(data))/uint64(d)) {
				return nil, nil, fmt.Errorf("tensor %q: shape %v is negative or larger than the file", name, rec.Shape)
			}
			n *= uint64(d)
		}
		if len(rec.Offsets) != 2 || rec.Offsets[0] > rec.Offsets[1] || rec.Offsets[1] > uint64(len(data)) || rec.Offsets[1]-rec.Offsets[0] != n {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets %v do not hold %d bytes of shape %v within the %d bytes of data", name, rec.Offsets, n, rec.Shape, len(data))
		}
		blobs[name] = blob{name, rec.DType, rec.Shape, data[rec.Offsets[0]:rec.Offsets[1]]}
		spans = append(spans, span{name, rec.Offsets[0], rec.Offsets[1]})
	}
	if err := checkCoverage(spans, uint64(len(data))); err != nil {
		return nil, nil, err
	}
	return blobs, meta, nil
}

// span is where a tensor's bytes are in the data.
type span struct {
	name       string
	begin, end uint64
}

// checkCoverage checks that the tensors cover the n bytes of data one
// after the other, without gaps or overlaps, as the format requires.
func checkCoverage(spans []span, n uint64) error {
	slices.SortFunc(spans, func(a, b span) int {
		if c := cmp.Compare(a.begin, b.begin); c != 0 {
			return c
		}
		if c := cmp.Compare(a.end, b.end); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	var pos uint64
	for _, s := range spans {
		if s.begin != pos {
			return fmt.Errorf("tensor %q starts at byte %d of the data, want %d: tensors must cover the data without gaps or overlaps", s.name, s.begin, pos)
		}
		pos = s.end
	}
	if pos != n {
		return fmt.Errorf("the tensors cover %d of the data's %d bytes", pos, n)
	}
	return nil
}

// is checks that the tensor holds n values of dtype.
func (b blob) is(dtype string, n int) error {
	if b.dtype != dtype || len(b.data) != n*dtypeSize[dtype] {
		return fmt.Errorf("tensor %q is %s of shape %v; want %s with %d values", b.name, b.dtype, b.shape, dtype, n)
	}
	return nil
}

// int8s and float32s decode a tensor checked to hold n values of the kind.
func (b blob) int8s(n int) ([]int8, error) {
	if b.dtype != "I8" || len(b.data) != n {
		return nil, fmt.Errorf("tensor %q is %s of shape %v; want I8 with %d values", b.name, b.dtype, b.shape, n)
	}
	v := make([]int8, n)
	for i, x := range b.data {
		v[i] = int8(x)
	}
	return v, nil
}

func (b blob) float32s(n int) ([]float32, error) {
	if b.dtype != "F32" || len(b.data) != 4*n {
		return nil, fmt.Errorf("tensor %q is %s of shape %v; want F32 with %d values", b.name, b.dtype, b.shape, n)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b.data[4*i:]))
		if math.IsNaN(float64(v[i])) || math.IsInf(float64(v[i]), 0) {
			return nil, fmt.Errorf("tensor %q holds %v at %d; want finite values", b.name, v[i], i)
		}
	}
	return v, nil
}
