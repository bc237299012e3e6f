package safetensors

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/internal/atomicfile"
)

// Encode writes tensors as F32, in the given order, with metadata (which may
// be nil) in the header. Names must be unique and not "__metadata__"; each
// tensor's Data must hold exactly the product of its Shape.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, err := header(tensors, metadata)
	if err != nil {
		return err
	}
	if err := writeData(w, header, tensors); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// writeData writes a file whose header is already built and checked.
func writeData(w io.Writer, header []byte, tensors []Tensor) error {
	bw := bufio.NewWriterSize(w, chunk)
	writeLength(bw, header)
	var b [4]byte
	for _, t := range tensors {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			bw.Write(b[:])
		}
	}
	return bw.Flush()
}

// writeLength writes the header's length, then the header; bw keeps the
// first error for Flush to return.
func writeLength(bw *bufio.Writer, header []byte) {
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	bw.Write(lenBuf[:])
	bw.Write(header)
}

// header builds the padded JSON header of F32 tensors (see buildHeader),
// checking that each holds as many values as its shape says.
func header(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	specs := make([]spec, len(tensors))
	for i, t := range tensors {
		n, err := numel(t.Name, t.Shape)
		if err != nil {
			return nil, err
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %q has shape %v (%d values) but %d values", t.Name, t.Shape, n, len(t.Data))
		}
		specs[i] = spec{t.Name, "F32", t.Shape, 4 * uint64(n)}
	}
	return buildHeader(specs, metadata)
}

// spec is what the header says of one tensor; size is its bytes.
type spec struct {
	name, dtype string
	shape       []int
	size        uint64
}

// numel is the number of values of shape, which must have no negative
// dimension.
func numel(name string, shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("safetensors: tensor %q has a negative dimension in shape %v", name, shape)
		}
		n *= d
	}
	return n, nil
}

// buildHeader builds the padded JSON header: metadata first, then the
// tensors in data order, keys in a fixed order so that equal inputs give
// equal files. Names must be unique and not "__metadata__".
func buildHeader(specs []spec, metadata map[string]string) ([]byte, error) {
	var sb strings.Builder
	sb.WriteByte('{')
	if len(metadata) > 0 {
		sb.WriteString(`"` + metadataKey + `":{`)
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.Write(mustJSON(k))
			sb.WriteByte(':')
			sb.Write(mustJSON(metadata[k]))
		}
		sb.WriteByte('}')
	}
	seen := map[string]bool{}
	var off uint64
	for i, t := range specs {
		if t.name == metadataKey {
			return nil, fmt.Errorf("safetensors: a tensor cannot be called %s", metadataKey)
		}
		if seen[t.name] {
			return nil, fmt.Errorf("safetensors: two tensors are called %q", t.name)
		}
		seen[t.name] = true
		if i > 0 || len(metadata) > 0 {
			sb.WriteByte(',')
		}
		sb.Write(mustJSON(t.name))
		sb.WriteString(`:{"dtype":` + string(mustJSON(t.dtype)) + `,"shape":[`)
		for j, d := range t.shape {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Itoa(d))
		}
		end := off + t.size
		fmt.Fprintf(&sb, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	sb.WriteByte('}')
	// Pad with spaces so that the data starts 8-byte aligned, as the
	// reference writer does (readers may then map it as float64 too).
	for sb.Len()%8 != 0 {
		sb.WriteByte(' ')
	}
	if sb.Len() > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header of %d bytes exceeds the format's limit of %d", sb.Len(), MaxHeaderSize)
	}
	return []byte(sb.String()), nil
}

// WriteFile writes tensors and metadata to path atomically, through
// internal/atomicfile: a crash leaves either the old file or the new one,
// never a torn one; a new file is readable by all (0644 minus the umask); a
// read-only file is not replaced. Nothing is written when the tensors are
// invalid (see Encode).
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	h, err := header(tensors, metadata)
	if err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	err = atomicfile.Write(path, func(w io.Writer) error { return writeData(w, h, tensors) })
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
