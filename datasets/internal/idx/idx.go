package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Images is what ReadImages found: N images of Rows×Cols bytes, row-major,
// one after another in Pixels.
type Images struct {
	N, Rows, Cols int
	Pixels        []byte
}

// OpenFile opens the IDX file at path and returns its size; a directory is
// an error.
func OpenFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: is a directory, not an IDX file", path)
	}
	return f, st.Size(), nil
}

// SizeOf returns the number of bytes left in r when r can tell, else -1.
func SizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }: // *bytes.Reader, *bytes.Buffer, *strings.Reader
		return int64(v.Len())
	case *os.File:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := v.Seek(0, io.SeekCurrent); err == nil {
				return st.Size() - off
			}
		}
	}
	return -1
}

// idxStream is an opened IDX stream, decompressed if it was gzipped.
type idxStream struct {
	r      io.Reader
	name   string
	gz     bool
	size   int64 // bytes of the raw stream, -1 if unknown or gzipped
	packed int64 // bytes of the gzip stream, -1 if unknown or raw
}

func openIDX(r io.Reader, name string, size int64) (*idxStream, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if len(magic) == 0 {
		if err == nil || err == io.EOF {
			return nil, fmt.Errorf("%s: empty file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: bad gzip data: %w", name, err)
		}
		return &idxStream{r: zr, name: name, gz: true, size: -1, packed: size}, nil
	}
	return &idxStream{r: br, name: name, size: size, packed: -1}, nil
}

// what names the kind of stream in messages: "gzip stream" or "file".
func (s *idxStream) what() string {
	if s.gz {
		return "decompressed data"
	}
	return "file"
}

// header reads the magic and dimension sizes of an IDX file with dims
// dimensions and the given magic. The sizes are int64 so that a 32-bit
// build checks and reports them as written (up to 2³²-1), not wrapped.
func (s *idxStream) header(wantMagic uint32, kind string) ([]int64, error) {
	dims := int(wantMagic & 0xff)
	buf := make([]byte, 4+4*dims)
	n, err := readAll(s.r, buf)
	if err != nil && err != io.EOF {
		return nil, s.streamErr(err)
	}
	if n >= 4 {
		if err := s.checkMagic(binary.BigEndian.Uint32(buf), wantMagic, kind); err != nil {
			return nil, err
		}
	}
	if n < len(buf) {
		return nil, fmt.Errorf("%s: truncated header: %s has %d bytes, an IDX %s header needs %d",
			s.name, s.what(), n, kind, len(buf))
	}
	out := make([]int64, dims)
	for i := range out {
		out[i] = int64(binary.BigEndian.Uint32(buf[4+4*i:]))
	}
	return out, nil
}

func (s *idxStream) checkMagic(got, want uint32, kind string) error {
	if got == want {
		return nil
	}
	hint := ""
	switch {
	case got == ImagesMagic:
		hint = " (this is an IDX images file)"
	case got == LabelsMagic:
		hint = " (this is an IDX labels file)"
	case got>>16 != 0:
		hint = " (not an IDX file)"
	case got>>8&0xff != 0x08:
		hint = fmt.Sprintf(" (element type 0x%02x, want 0x08 unsigned byte)", got>>8&0xff)
	default:
		hint = fmt.Sprintf(" (%d dimensions, want %d)", got&0xff, want&0xff)
	}
	return fmt.Errorf("%s: wrong magic number 0x%08x, want 0x%08x for %s%s", s.name, got, want, kind, hint)
}

// streamErr wraps an error from the underlying reader.
func (s *idxStream) streamErr(err error) error {
	if s.gz {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: truncated gzip stream: %w", s.name, err)
		}
		return fmt.Errorf("%s: bad gzip data: %w", s.name, err)
	}
	return fmt.Errorf("%s: %w", s.name, err)
}

// body reads exactly n bytes of payload after a header of hdrLen bytes.
// desc describes the payload for a truncation message, e.g. "60000 images
// of 28×28". A header announcing more than the stream can hold is caught
// from the stream's size before any allocation; otherwise the buffer grows
// as data arrives.
func (s *idxStream) body(n int, hdrLen int, desc string) ([]byte, error) {
	if s.size >= 0 && int64(n) > s.size-int64(hdrLen) {
		return nil, fmt.Errorf("%s: truncated: header says %s (%d bytes) but only %d bytes follow",
			s.name, desc, n, s.size-int64(hdrLen))
	}
	if s.packed >= 0 && int64(n) > s.packed*maxRatio {
		return nil, fmt.Errorf("%s: truncated or corrupt: header says %s (%d bytes) but the gzip file is %d bytes, which unpack to at most %d",
			s.name, desc, n, s.packed, s.packed*maxRatio)
	}
	start := min(n, growFrom)
	switch {
	case s.size >= 0:
		start = n // the bytes are there: the size says so
	case s.packed >= 0 && int64(n) <= s.packed*upfrontRatio:
		// A ratio real data reaches (MNIST's images unpack 4.7×): one
		// allocation of the declared size, as growing by doubling would
		// hold one and a half times the data at its peak.
		start = n
	}
	buf := make([]byte, 0, start)
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		m, err := readAll(s.r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return nil, fmt.Errorf("%s: truncated: header says %s (%d bytes) but only %d bytes follow",
				s.name, desc, n, len(buf))
		}
		if err != nil {
			if s.gz && errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%s: truncated: header says %s (%d bytes) but the gzip stream ends after %d bytes: %w",
					s.name, desc, n, len(buf), err)
			}
			return nil, s.streamErr(err)
		}
	}
	return buf, s.end(int64(hdrLen+n), desc)
}

// end checks that nothing follows the payload, which ends at byte used of
// the (raw) stream, and, for gzip, that the stream's checksum holds, which
// the gzip reader checks at its end. It reads at most maxTrailing bytes
// past the payload: a gzip stream could go on for gigabytes.
func (s *idxStream) end(used int64, desc string) error {
	extra, err := io.Copy(io.Discard, io.LimitReader(s.r, maxTrailing+1))
	if extra > 0 {
		msg := fmt.Sprintf("%d", extra)
		switch {
		case s.size >= 0:
			msg = fmt.Sprintf("%d", s.size-used)
		case extra > maxTrailing || err != nil:
			msg = fmt.Sprintf("at least %d", extra)
		}
		return fmt.Errorf("%s: trailing garbage: %s bytes after the %s the header announces", s.name, msg, desc)
	}
	if err != nil {
		return s.streamErr(err)
	}
	return nil
}

// readAll is io.ReadFull that reports a clean io.EOF whenever the stream
// ends before buf is full (io.ReadFull would say io.ErrUnexpectedEOF, which
// here is kept for a gzip stream cut short).
func readAll(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil && n < len(buf) {
			return n, err
		}
	}
	return n, nil
}

// ReadImages decodes an IDX3 image file (magic 0x00000803), gzipped or
// raw (the gzip magic decides). name is used in error messages only; size
// is the number of bytes r holds, or -1 if unknown (see SizeOf).
//
// Every inconsistency is an error naming the file and the problem: wrong
// magic, a header that is cut short, more than 10,000,000 images, sides
// outside 1..1024 or more than 1 GiB of pixels, fewer pixel bytes than the
// header announces, bytes after them, an empty file or a corrupt gzip
// stream. Memory follows the data actually present: a header announcing
// more than the file can hold (judged from size, compressed or not) fails
// before anything big is allocated.
func ReadImages(r io.Reader, name string, size int64) (*Images, error) {
	s, err := openIDX(r, name, size)
	if err != nil {
		return nil, err
	}
	d, err := s.header(ImagesMagic, "images")
	if err != nil {
		return nil, err
	}
	if d[0] > maxCount {
		return nil, fmt.Errorf("%s: header says %d images, more than the limit of %d: corrupt header?", name, d[0], maxCount)
	}
	if d[1] < 1 || d[1] > maxSide || d[2] < 1 || d[2] > maxSide {
		return nil, fmt.Errorf("%s: header says images of %d×%d, want sides in 1..%d (MNIST is 28×28)", name, d[1], d[2], maxSide)
	}
	n, rows, cols := int(d[0]), int(d[1]), int(d[2]) // checked: they fit any int
	desc := fmt.Sprintf("%d images of %d×%d", n, rows, cols)
	if total := int64(n) * int64(rows) * int64(cols); total > maxPayload {
		return nil, fmt.Errorf("%s: header says %s, %d bytes, more than the limit of %d (1 GiB): corrupt header?", name, desc, total, maxPayload)
	}
	px, err := s.body(n*rows*cols, 16, desc)
	if err != nil {
		return nil, err
	}
	return &Images{N: n, Rows: rows, Cols: cols, Pixels: px}, nil
}

// ReadLabels decodes an IDX1 label file (magic 0x00000801), gzipped or
// raw, with the checks of ReadImages. What a label may be is the data
// set's business: the bytes are returned as they are.
func ReadLabels(r io.Reader, name string, size int64) ([]byte, error) {
	s, err := openIDX(r, name, size)
	if err != nil {
		return nil, err
	}
	d, err := s.header(LabelsMagic, "labels")
	if err != nil {
		return nil, err
	}
	if d[0] > maxCount {
		return nil, fmt.Errorf("%s: header says %d labels, more than the limit of %d: corrupt header?", name, d[0], maxCount)
	}
	n := int(d[0])
	return s.body(n, 8, fmt.Sprintf("%d labels", n))
}

// CheckLabels returns an error naming the first label of y, read from the
// file name, that is not below classes; what says what a label is, as in
// "label 12 at index 1 is not a digit 0..9".
func CheckLabels(y []byte, name string, classes int, what string) error {
	for i, v := range y {
		if int(v) >= classes {
			return fmt.Errorf("%s: label %d at index %d is not %s 0..%d", name, v, i, what, classes-1)
		}
	}
	return nil
}
