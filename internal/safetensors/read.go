package safetensors

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// chunk is how many bytes of tensor data are converted at a time, so that
// reading needs no copy of the raw buffer besides the float32 results.
const chunk = 64 << 10

// ReadFile reads and checks the safetensors file at path. Errors name the
// file and the fault.
func ReadFile(path string) (*File, error) {
	// Checked before opening too: opening a named pipe waits for a writer,
	// forever if none comes.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("safetensors: %s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("safetensors: %s: not a regular file", path)
	}
	out, err := read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return out, nil
}

// Decode reads and checks a safetensors file held in memory.
func Decode(data []byte) (*File, error) {
	return Read(bytes.NewReader(data), int64(len(data)))
}

// Read reads and checks a safetensors file of size bytes from r.
func Read(r io.ReaderAt, size int64) (*File, error) {
	out, err := read(r, size)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return out, nil
}

func read(r io.ReaderAt, size int64) (*File, error) {
	entries, meta, start, err := readHeader(r, size, readable)
	if err != nil {
		return nil, err
	}
	f := &File{Metadata: meta, Tensors: make([]Tensor, len(entries))}
	dataLen := size - start
	var buf []byte
	for i, e := range entries {
		size := dtypeSizes[e.dtype]
		t := Tensor{Name: e.name, Shape: e.shape, DType: e.dtype, Data: make([]float32, (e.end-e.begin)/uint64(size))}
		if buf == nil && e.end > e.begin {
			// Sized for the whole buffer, not this tensor: a later tensor
			// may have larger elements (2-byte F16 first, 8-byte F64
			// next), and a buffer under one element would read nothing.
			buf = make([]byte, max(8, min(chunk, int(dataLen))))
		}
		for done := 0; done < len(t.Data); {
			nb := min(len(buf)/size*size, (len(t.Data)-done)*size)
			off := start + int64(e.begin) + int64(done*size)
			if _, err := r.ReadAt(buf[:nb], off); err != nil {
				return nil, fmt.Errorf("tensor %q: reading data: %w", e.name, err)
			}
			done += convert(t.Data[done:], buf[:nb], e.dtype)
		}
		f.Tensors[i] = t
	}
	return f, nil
}

// readHeader reads and checks the header of a file of size bytes, whose
// tensors must be of the given dtypes, and returns its entries sorted by
// offset, its metadata and where the data buffer starts.
func readHeader(r io.ReaderAt, size int64, dtypes []string) ([]entry, map[string]string, int64, error) {
	if size < 8 {
		return nil, nil, 0, fmt.Errorf("file is %d bytes, too short to hold the 8-byte header length (empty or truncated file)", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, nil, 0, fmt.Errorf("reading the header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n < 2:
		return nil, nil, 0, fmt.Errorf("header length %d is below the minimum of 2 (\"{}\")", n)
	case n > MaxHeaderSize:
		return nil, nil, 0, fmt.Errorf("header length %d exceeds the limit of %d bytes (not a safetensors file?)", n, MaxHeaderSize)
	case n > uint64(size-8):
		return nil, nil, 0, fmt.Errorf("header length %d exceeds the %d bytes after it (truncated file?)", n, size-8)
	}
	h := make([]byte, n)
	if _, err := r.ReadAt(h, 8); err != nil {
		return nil, nil, 0, fmt.Errorf("reading the header: %w", err)
	}
	start := 8 + int64(n)
	entries, meta, err := parseHeader(h, uint64(size-start), dtypes)
	if err != nil {
		return nil, nil, 0, err
	}
	return entries, meta, start, nil
}

// convert decodes little-endian values of dtype from src into dst and returns
// how many it wrote.
func convert(dst []float32, src []byte, dtype string) int {
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		n := len(src) / 4
		for i := range n {
			dst[i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
		return n
	case "F64":
		n := len(src) / 8
		for i := range n {
			dst[i] = float32(math.Float64frombits(le.Uint64(src[8*i:])))
		}
		return n
	case "F16":
		n := len(src) / 2
		for i := range n {
			dst[i] = halfToFloat32(le.Uint16(src[2*i:]))
		}
		return n
	case "BF16":
		// bfloat16 is the top half of a float32.
		n := len(src) / 2
		for i := range n {
			dst[i] = math.Float32frombits(uint32(le.Uint16(src[2*i:])) << 16)
		}
		return n
	}
	panic("safetensors: convert: unchecked dtype " + dtype)
}

// halfToFloat32 converts an IEEE 754 binary16 value, exactly (every half
// value is a float32 value): subnormals, infinities and NaN payloads kept.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal: rebias 15 → 127
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: frac × 2^-24, a normal float32.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}
