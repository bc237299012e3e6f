package safetensors

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/goras-ml/goras/internal/atomicfile"
)

// Raw is one tensor as the file stores it, unconverted: its dtype ("I8",
// "F32", ...), its shape and its little-endian bytes. The quantize
// package's int8 models use it; the float32 API (Tensor, Decode,
// WriteFile) is every other reader's and writer's.
type Raw struct {
	Name  string
	DType string
	Shape []int
	Bytes []byte
}

// DecodeRaw reads and checks a safetensors file held in memory, with
// Decode's rules, and returns its tensors unconverted in the order of
// their data, and its metadata (nil when it has none). Tensors must be of
// the given dtypes (any the format defines, e.g. "I8" and "F32"); the
// error for another names the tensor and the dtypes accepted. Each
// tensor's Bytes are a slice of data, not a copy.
func DecodeRaw(data []byte, dtypes ...string) ([]Raw, map[string]string, error) {
	for _, d := range dtypes {
		if _, ok := dtypeSizes[d]; !ok {
			panic(fmt.Sprintf("safetensors: DecodeRaw: %q is not a dtype of the format", d))
		}
	}
	entries, meta, start, err := readHeader(bytes.NewReader(data), int64(len(data)), dtypes)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	ts := make([]Raw, len(entries))
	for i, e := range entries {
		// parseHeader checked every span against the data buffer.
		b := data[start+int64(e.begin) : start+int64(e.end)]
		ts[i] = Raw{Name: e.name, DType: e.dtype, Shape: e.shape, Bytes: b}
	}
	return ts, meta, nil
}

// rawHeader builds the header of raw tensors, checking that each has a
// dtype of the format and as many bytes as its shape and dtype say.
func rawHeader(tensors []Raw, metadata map[string]string) ([]byte, error) {
	specs := make([]spec, len(tensors))
	for i, t := range tensors {
		size, ok := dtypeSizes[t.DType]
		if !ok {
			return nil, fmt.Errorf("safetensors: tensor %q has dtype %q, which the format does not define", t.Name, t.DType)
		}
		n, err := numel(t.Name, t.Shape)
		if err != nil {
			return nil, err
		}
		if n*size != len(t.Bytes) {
			return nil, fmt.Errorf("safetensors: tensor %q has shape %v of %s (%d bytes) but %d bytes", t.Name, t.Shape, t.DType, n*size, len(t.Bytes))
		}
		specs[i] = spec{t.Name, t.DType, t.Shape, uint64(len(t.Bytes))}
	}
	return buildHeader(specs, metadata)
}

// EncodeRaw writes raw tensors, in the given order, with metadata (which
// may be nil) in the header. Names must be unique and not "__metadata__";
// each tensor's Bytes must hold exactly its shape's values of its dtype.
func EncodeRaw(w io.Writer, tensors []Raw, metadata map[string]string) error {
	h, err := rawHeader(tensors, metadata)
	if err != nil {
		return err
	}
	if err := writeRaw(w, h, tensors); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// WriteRawFile writes raw tensors and metadata to path atomically, as
// WriteFile does (see it for what atomic means here). Nothing is written
// when the tensors are invalid (see EncodeRaw).
func WriteRawFile(path string, tensors []Raw, metadata map[string]string) error {
	h, err := rawHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	err = atomicfile.Write(path, func(w io.Writer) error { return writeRaw(w, h, tensors) })
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// writeRaw writes a file whose header is already built and checked.
func writeRaw(w io.Writer, header []byte, tensors []Raw) error {
	bw := bufio.NewWriterSize(w, chunk)
	writeLength(bw, header)
	for _, t := range tensors {
		bw.Write(t.Bytes)
	}
	return bw.Flush()
}
