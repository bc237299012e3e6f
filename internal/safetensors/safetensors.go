// Package safetensors reads and writes the safetensors file format, the
// weight format shared by PyTorch, Keras and most model hubs:
//
//	8 bytes   N, the header length, little-endian uint64
//	N bytes   a JSON object: {"name": {"dtype": "F32", "shape": [2, 3],
//	          "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}},
//	          padded with spaces
//	rest      the data buffer: every tensor's little-endian bytes, contiguous,
//	          offsets relative to the start of the buffer
//
// goras's model files are F32. Tensor, Decode and WriteFile read F32, F64,
// F16 and BF16, converted to float32, so that weights exported from
// PyTorch can be imported, and write F32. Raw, DecodeRaw and WriteRawFile
// keep a tensor's bytes as they are, in any dtype the caller accepts: the
// quantize package's int8 models are I8 and F32.
//
// Reading trusts nothing in the file: every length, offset and shape is
// checked against the file's real size before anything is allocated, so a
// hostile or truncated file yields an error naming the fault, never a panic
// or an allocation larger than about twice the file.
package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxHeaderSize is the largest header accepted, in bytes (100 MB, as the
// reference implementation).
const MaxHeaderSize = 100_000_000

// MaxTensors is the most tensors a file may describe. Models goras builds
// hold tens of tensors and the largest published checkpoints some
// thousands per file; the limit stops a header of a million empty records,
// which fits in MaxHeaderSize, from costing seconds and gigabytes.
const MaxTensors = 100_000

// metadataKey is the reserved header key holding string→string metadata.
const metadataKey = "__metadata__"

// Tensor is one named tensor, its values as float32 in row-major order.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
	// DType is the type the values were stored as in the file read ("F32",
	// "F16", ...); it is ignored when writing, which always writes F32.
	DType string
}

// File is the content of a safetensors file.
type File struct {
	// Tensors in the order of their data in the file.
	Tensors []Tensor
	// Metadata is the __metadata__ map; nil when the file has none.
	Metadata map[string]string
}

// Tensor returns the tensor called name, or nil.
func (f *File) Tensor(name string) *Tensor {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i]
		}
	}
	return nil
}

// dtypeSizes are the element sizes of the dtypes the format defines. Only
// those in readable can be converted; the others are recognised so that the
// error can say "unsupported" rather than "unknown".
var dtypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8, "C64": 8,
}

var readable = []string{"F32", "F64", "F16", "BF16"}

// entry is one tensor's header record, after checking.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end uint64
}

// parseHeader checks a header (the N bytes after the length) against a data
// buffer of bufLen bytes and returns the entries sorted by offset and the
// metadata. Every rule of the format is enforced here; tensors must be of
// the given dtypes (readable, for the float32 API).
func parseHeader(h []byte, bufLen uint64, dtypes []string) ([]entry, map[string]string, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	if h[0] != '{' {
		return nil, nil, fmt.Errorf("header must start with '{', got %q", h[0])
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("header is not valid JSON: %v", err)
	}
	var (
		entries []entry
		meta    map[string]string
		seen    = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header is not valid JSON: %v", err)
		}
		name, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("header is not valid JSON (at key %q): %v", name, err)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("header has the key %q twice", name)
		}
		seen[name] = true
		if name == metadataKey {
			if meta, err = parseMetadata(raw); err != nil {
				return nil, nil, err
			}
			continue
		}
		if len(entries) == MaxTensors {
			return nil, nil, fmt.Errorf("header describes more than %d tensors, the limit (a corrupt or hostile file?)", MaxTensors)
		}
		e, err := parseEntry(name, raw, dtypes)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, fmt.Errorf("header is not valid JSON: %v", err)
	}
	// Only the space padding may follow the object.
	rest := h[dec.InputOffset():]
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return nil, nil, fmt.Errorf("header has %d unexpected bytes after its JSON object", len(rest))
	}

	if err := checkLayout(entries, bufLen); err != nil {
		return nil, nil, err
	}
	return entries, meta, nil
}

// checkLayout sorts the entries by offset and checks that they cover the
// data buffer of bufLen bytes exactly: tensors one after the other from
// offset 0 to the end, no overlap, no gap.
func checkLayout(entries []entry, bufLen uint64) error {
	// Zero-length tensors sort by name so that the order is the same on
	// every read.
	slices.SortFunc(entries, func(a, b entry) int {
		if a.begin != b.begin {
			if a.begin < b.begin {
				return -1
			}
			return 1
		}
		if a.end != b.end { // the empty one first
			if a.end < b.end {
				return -1
			}
			return 1
		}
		if a.name < b.name {
			return -1
		}
		if a.name > b.name {
			return 1
		}
		return 0
	})
	if err := checkTruncated(entries, bufLen); err != nil {
		return err
	}
	var pos uint64
	for i, e := range entries {
		switch {
		case e.begin < pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d", e.name, e.begin, e.end, entries[i-1].name, pos)
		case e.begin > pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap of %d unused bytes before it (from %d); the format requires the buffer fully covered", e.name, e.begin, e.end, e.begin-pos, pos)
		}
		pos = e.end
	}
	if pos != bufLen {
		return fmt.Errorf("tensors cover %d bytes but the data buffer holds %d: %d unused bytes at the end (truncated header or extra data)", pos, bufLen, bufLen-pos)
	}
	return nil
}

// checkTruncated reports a data buffer shorter than the header's offsets
// reach, the mark of a file cut short by an interrupted copy or download.
func checkTruncated(entries []entry, bufLen uint64) error {
	last := -1
	for i, e := range entries {
		if e.end > bufLen && (last < 0 || e.end > entries[last].end) {
			last = i
		}
	}
	if last < 0 {
		return nil
	}
	e := entries[last]
	return fmt.Errorf("the file is truncated: %d bytes are missing; its header places tensor %q at data_offsets [%d, %d] but the data buffer after the header holds %d bytes (an interrupted copy or download? get the file again)",
		e.end-bufLen, e.name, e.begin, e.end, bufLen)
}

func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%s must be an object of strings, got %s", metadataKey, clip(raw))
	}
	meta := make(map[string]string, len(m))
	// In key order, so that a header with several faults always gets
	// the same error.
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%q] must be a string, got %s", metadataKey, k, clip(mustJSON(v)))
		}
		meta[k] = s
	}
	return meta, nil
}

// rawEntry is a header record as written; the fields stay raw so that a
// missing key, a wrong type and a bad value each get their own message.
type rawEntry struct {
	DType       json.RawMessage `json:"dtype"`
	Shape       json.RawMessage `json:"shape"`
	DataOffsets json.RawMessage `json:"data_offsets"`
}

// parseEntry checks one tensor's header record. Well-formed records take a
// fast scan; anything else goes through encoding/json, whose decoding gives
// each kind of fault its own message.
func parseEntry(name string, raw json.RawMessage, dtypes []string) (entry, error) {
	if dtype, shape, offs, ok := scanEntry(raw); ok {
		return checkEntry(name, dtype, shape, offs, dtypes)
	}
	return decodeEntry(name, raw, dtypes)
}

// decodeEntry is parseEntry through encoding/json, for any record.
func decodeEntry(name string, raw json.RawMessage, dtypes []string) (entry, error) {
	fail := func(format string, args ...any) (entry, error) {
		return entry{}, fmt.Errorf("tensor %q: %s", name, fmt.Sprintf(format, args...))
	}
	var r rawEntry
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return fail("entry must be an object with dtype, shape and data_offsets, got %s (%v)", clip(raw), err)
	}
	if r.DType == nil || r.Shape == nil || r.DataOffsets == nil {
		return fail("entry needs dtype, shape and data_offsets, got %s", clip(raw))
	}
	var dtype string
	if err := json.Unmarshal(r.DType, &dtype); err != nil {
		return fail("dtype must be a string, got %s", clip(r.DType))
	}
	if err := checkDType(dtype, dtypes); err != nil {
		return fail("%v", err)
	}
	shape, err := uints(r.Shape)
	if err != nil {
		return fail("shape %v", err)
	}
	offs, err := uints(r.DataOffsets)
	if err != nil {
		return fail("data_offsets %v", err)
	}
	return checkEntry(name, dtype, shape, offs, dtypes)
}

// checkDType checks that dtype is one the format defines and one of
// dtypes, those the caller reads.
func checkDType(dtype string, dtypes []string) error {
	if _, known := dtypeSizes[dtype]; !known {
		return fmt.Errorf("unknown dtype %q", dtype)
	}
	if !slices.Contains(dtypes, dtype) {
		return fmt.Errorf("dtype %s is valid safetensors but goras reads only %v", dtype, dtypes)
	}
	return nil
}

// checkEntry checks a decoded record: a dtype among dtypes, two offsets,
// and a shape whose bytes fill exactly the span between them.
func checkEntry(name, dtype string, shape, offs []uint64, dtypes []string) (entry, error) {
	e := entry{name: name, dtype: dtype}
	fail := func(format string, args ...any) (entry, error) {
		return entry{}, fmt.Errorf("tensor %q: %s", name, fmt.Sprintf(format, args...))
	}
	if err := checkDType(dtype, dtypes); err != nil {
		return fail("%v", err)
	}
	if len(offs) != 2 {
		return fail("data_offsets must be [begin, end], got %v", offs)
	}
	e.begin, e.end = offs[0], offs[1]
	if e.begin > e.end {
		return fail("data_offsets [%d, %d] begin after end", e.begin, e.end)
	}
	// numel × size must equal end - begin; multiply with overflow checks,
	// since a hostile shape could otherwise wrap around to a small number.
	n, zero := uint64(1), false
	overflow := false
	for _, d := range shape {
		if d == 0 {
			zero = true
		}
		hi, lo := bits.Mul64(n, d)
		if hi != 0 {
			overflow = true
		}
		n = lo
	}
	if zero {
		n, overflow = 0, false
	}
	hi, nbytes := bits.Mul64(n, uint64(dtypeSizes[dtype]))
	if overflow || hi != 0 {
		return fail("shape %v has too many elements", shape)
	}
	if nbytes != e.end-e.begin {
		return fail("shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d", shape, dtype, nbytes, e.begin, e.end, e.end-e.begin)
	}
	e.shape = make([]int, len(shape))
	for i, d := range shape {
		if d > math.MaxInt { // only possible beside a zero dimension
			return fail("shape %v has a dimension too large", shape)
		}
		e.shape[i] = int(d)
	}
	return e, nil
}

// uints decodes a JSON array of non-negative integers.
func uints(raw json.RawMessage) ([]uint64, error) {
	var nums []json.Number
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&nums); err != nil || nums == nil {
		return nil, fmt.Errorf("must be an array of non-negative integers, got %s", clip(raw))
	}
	out := make([]uint64, len(nums))
	for i, n := range nums {
		v, err := strconv.ParseUint(n.String(), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("must be an array of non-negative integers, got %s (element %d)", clip(raw), i)
		}
		out[i] = v
	}
	return out, nil
}

// clip shortens a piece of a hostile header for an error message.
func clip(b []byte) string {
	const n = 80
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
