package arrays

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/goras-ml/goras/tensor"
)

// Limits that keep a corrupt or hostile file from making the reader
// allocate before it knows the data is there.
const (
	// maxHeader bounds the header of a version 2 or 3 file (version 1 is
	// bounded by its 16-bit length); numpy itself refuses headers over
	// 10,000 bytes unless told otherwise.
	maxHeader = 1 << 16
	// maxElements bounds one array: 2^31-1 values (8 GiB as float32), which
	// an int counts on every platform.
	maxElements = 1<<31 - 1
	// exactInt is the largest integer magnitude up to which every integer
	// is a float32.
	exactInt = 1 << 24
)

var npyMagic = []byte("\x93NUMPY")

// LoadNPY reads the .npy file at path (numpy.save's format) into a tensor
// of the array's shape. See ReadNPY for what it accepts.
func LoadNPY(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrays: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("arrays: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("arrays: %s is a directory, not a .npy file", path)
	}
	return readNPY(f, path, st.Size(), true)
}

// ReadNPY reads one array in numpy's .npy format (versions 1.0, 2.0 and
// 3.0) from r into a tensor of the array's shape; name is used in errors.
//
// The array must be in C order (numpy's default) and of one of the dtypes
// float32, float64, float16, int8, int16, int32, int64, uint8, uint16,
// uint32, uint64 or bool, little- or big-endian. Values become float32
// unchanged (a uint8 255 becomes 255, not 1: scale it yourself, as Keras
// users write x / 255). It is an error for an integer beyond ±2^24 (which
// float32 cannot hold exactly) or a finite float64 beyond float32's range.
// The header's sizes are checked against the bytes that follow before
// anything is allocated for the data.
func ReadNPY(r io.Reader, name string) (*tensor.Tensor, error) {
	size := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok {
		size = int64(l.Len())
	}
	return readNPY(r, name, size, true)
}

// header is what a .npy header says about its array.
type header struct {
	dt    dtype
	shape []int
	n     int // elements
	len   int // bytes of the magic, version, length and header text
}

// readNPY reads an array from r, which holds size bytes (-1 if unknown).
// upfront says that the bytes are known to be there, so that the data's
// buffer may be allocated at once: not so for a zip member, whose size is
// only what its entry declares.
func readNPY(r io.Reader, name string, size int64, upfront bool) (*tensor.Tensor, error) {
	br := bufio.NewReader(r)
	h, err := readHeader(br)
	if err != nil {
		return nil, fmt.Errorf("arrays: %s: %w", name, err)
	}
	want := int64(h.n) * int64(h.dt.size)
	if size >= 0 && size-int64(h.len) != want {
		return nil, fmt.Errorf("arrays: %s: the header says %s %s, %d bytes of data, but %d bytes follow it; the file is truncated or not what it says",
			name, h.dt.name, shapeString(h.shape), want, size-int64(h.len))
	}
	data, err := readData(br, want, size >= 0 && upfront)
	if err != nil {
		return nil, fmt.Errorf("arrays: %s: the header says %s %s, %d bytes of data, but only %d follow it",
			name, h.dt.name, shapeString(h.shape), want, len(data))
	}
	// Reading on to the end lets a zip member check its CRC, and finds
	// bytes past the data when the size was not known.
	if extra, err := io.Copy(io.Discard, io.LimitReader(br, 1)); err != nil {
		return nil, fmt.Errorf("arrays: %s: %w", name, err)
	} else if extra > 0 {
		return nil, fmt.Errorf("arrays: %s: bytes follow the %d of data the header announces", name, want)
	}
	t := tensor.New(h.shape...)
	if err := h.dt.decode(h.dt, t.Data(), data); err != nil {
		return nil, fmt.Errorf("arrays: %s: %w", name, err)
	}
	return t, nil
}

// readData reads n bytes. When the size of r was checked (known), the
// buffer is allocated at once; otherwise it starts at 1 MiB and doubles as
// data arrives, so that a header claiming gigabytes on a short stream costs
// what the stream holds, not what it claims.
func readData(r io.Reader, n int64, known bool) ([]byte, error) {
	if known {
		buf := make([]byte, n)
		m, err := io.ReadFull(r, buf)
		return buf[:m], err
	}
	buf := make([]byte, 0, min(n, 1<<20))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, min(n, 2*int64(cap(buf)))-int64(len(buf)))...)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF && int64(len(buf)) < n {
			return buf, io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return buf, err
		}
	}
	return buf, nil
}

// readHeader reads and checks the magic, the version and the header dict.
func readHeader(r io.Reader) (header, error) {
	var pre [12]byte
	if n, err := io.ReadFull(r, pre[:8]); err != nil {
		return header{}, fmt.Errorf("not a .npy file: %d bytes, shorter than the 8-byte preamble", n)
	}
	if string(pre[:6]) != string(npyMagic) {
		return header{}, fmt.Errorf("not a .npy file: it starts with %q, not \\x93NUMPY", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen, lenBytes int
	switch major {
	case 1:
		lenBytes = 2
	case 2, 3:
		lenBytes = 4
	default:
		return header{}, fmt.Errorf(".npy format version %d.%d, want 1.0, 2.0 or 3.0", major, minor)
	}
	if _, err := io.ReadFull(r, pre[8:8+lenBytes]); err != nil {
		return header{}, fmt.Errorf("truncated header length")
	}
	if lenBytes == 2 {
		hlen = int(binary.LittleEndian.Uint16(pre[8:]))
	} else if l := binary.LittleEndian.Uint32(pre[8:]); l > maxHeader {
		return header{}, fmt.Errorf("the header claims %d bytes, more than the limit of %d: corrupt file?", l, maxHeader)
	} else {
		hlen = int(l)
	}
	text := make([]byte, hlen)
	if n, err := io.ReadFull(r, text); err != nil {
		return header{}, fmt.Errorf("truncated header: %d of its %d bytes", n, hlen)
	}
	h, err := parseHeader(strings.TrimRight(string(text), " \n\x00"))
	h.len = 8 + lenBytes + hlen
	return h, err
}

// parseHeader reads the header dict: descr, fortran_order and shape.
func parseHeader(text string) (header, error) {
	lit, err := parseLiteral(text)
	if err != nil {
		return header{}, err
	}
	m, ok := lit.(map[string]any)
	if !ok {
		return header{}, fmt.Errorf("the header is not a dict: %.40q", text)
	}
	descr, ok := m["descr"].(string)
	if !ok {
		return header{}, fmt.Errorf("the header's descr is %v: structured arrays (several fields) are not supported; save one plain array per file", m["descr"])
	}
	dt, err := lookupDtype(descr)
	if err != nil {
		return header{}, err
	}
	if fo, ok := m["fortran_order"].(bool); !ok {
		return header{}, fmt.Errorf("the header's fortran_order is %v, not True or False", m["fortran_order"])
	} else if fo {
		return header{}, fmt.Errorf("the array is in Fortran order; save it in C order: np.save(path, np.ascontiguousarray(a))")
	}
	dims, ok := m["shape"].([]any)
	if !ok {
		return header{}, fmt.Errorf("the header's shape is %v, not a tuple", m["shape"])
	}
	h := header{dt: dt, n: 1}
	for _, d := range dims {
		v, ok := d.(int64)
		if !ok || v < 0 {
			return header{}, fmt.Errorf("the header's shape %v holds %v, not a size >= 0", m["shape"], d)
		}
		// Each dimension is bounded too, not only their product: beside a
		// zero the product stays 0, and a dimension of 2^31 or more would
		// wrap negative as a 32-bit int.
		if v > maxElements {
			return header{}, fmt.Errorf("the header's shape %v has a dimension of %d, more than %d, the limit", m["shape"], v, int64(maxElements))
		}
		if v > 0 && int64(h.n) > maxElements/v {
			return header{}, fmt.Errorf("the header's shape %v holds more than %d elements, the limit", m["shape"], int64(maxElements))
		}
		h.n *= int(v)
		h.shape = append(h.shape, int(v))
	}
	return h, nil
}

func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// finite32 reports whether a finite float64 stays finite as a float32.
func finite32(v float64) bool {
	return math.IsNaN(v) || math.IsInf(v, 0) || !math.IsInf(float64(float32(v)), 0)
}
