package safetensors

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Encode writes tensors as F32, in the given order, with metadata (which may
// be nil) in the header. Names must be unique and not "__metadata__"; each
// tensor's Data must hold exactly the product of its Shape.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, err := header(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, chunk)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	bw.Write(lenBuf[:])
	bw.Write(header)
	var b [4]byte
	for _, t := range tensors {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			bw.Write(b[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// header builds the padded JSON header: metadata first, then the tensors in
// data order, keys in a fixed order so that equal inputs give equal files.
func header(tensors []Tensor, metadata map[string]string) ([]byte, error) {
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
	for i, t := range tensors {
		if t.Name == metadataKey {
			return nil, fmt.Errorf("safetensors: a tensor cannot be called %s", metadataKey)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("safetensors: two tensors are called %q", t.Name)
		}
		seen[t.Name] = true
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q has a negative dimension in shape %v", t.Name, t.Shape)
			}
			n *= d
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %q has shape %v (%d values) but %d values", t.Name, t.Shape, n, len(t.Data))
		}
		if i > 0 || len(metadata) > 0 {
			sb.WriteByte(',')
		}
		sb.Write(mustJSON(t.Name))
		sb.WriteString(`:{"dtype":"F32","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Itoa(d))
		}
		end := off + 4*uint64(n)
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

// WriteFile writes tensors and metadata to path atomically: into a temporary
// file in the same directory, synced to disk, renamed over path, and the
// directory synced, so that a crash leaves either the old file or the new
// one, never a torn one. The file is made readable by all (0644).
func WriteFile(path string, tensors []Tensor, metadata map[string]string) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := Encode(f, tensors, metadata); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err := f.Chmod(0o644); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("safetensors: syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	// The rename is durable only once the directory entry is on disk.
	// Windows cannot open a directory for syncing; its rename is its own.
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("safetensors: syncing directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("safetensors: syncing directory %s: %w", dir, err)
	}
	return nil
}
