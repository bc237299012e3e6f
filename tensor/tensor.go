package tensor

import (
	"fmt"
	"strings"

	"github.com/goras-ml/goras/internal/kernel"
)

// Tensor is a dense float32 array with a shape.
type Tensor struct {
	shape []int
	data  []float32
}

// New returns a zero-filled tensor of the given shape. It panics if a
// dimension is negative: shapes built by code are programmer input.
func New(shape ...int) *Tensor {
	n := checkShape(shape)
	return &Tensor{shape: append([]int(nil), shape...), data: make([]float32, n)}
}

// FromSlice wraps data (without copying) as a tensor of the given shape.
// It returns an error when len(data) does not match the shape.
func FromSlice(data []float32, shape ...int) (*Tensor, error) {
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("tensor: negative dimension in shape %v", shape)
		}
	}
	if n := Numel(shape); n != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d values, got %d", shape, n, len(data))
	}
	return &Tensor{shape: append([]int(nil), shape...), data: data}, nil
}

// Full returns a tensor of the given shape with every element set to v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = v
	}
	return t
}

// Numel is the number of elements a shape holds (1 for the empty shape).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checkShape(shape []int) int {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
	}
	return Numel(shape)
}

// Shape returns the tensor's dimensions. The caller must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Data returns the backing slice, row-major.
func (t *Tensor) Data() []float32 { return t.data }

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.data) }

// Rank is the number of axes.
func (t *Tensor) Rank() int { return len(t.shape) }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// At returns the element at the given index (one coordinate per axis).
func (t *Tensor) At(idx ...int) float32 { return t.data[t.offset(idx)] }

// Set stores v at the given index.
func (t *Tensor) Set(v float32, idx ...int) { t.data[t.offset(idx)] = v }

func (t *Tensor) offset(idx []int) int {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor: index %v has %d coordinates for shape %v", idx, len(idx), t.shape))
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.shape))
		}
		off = off*t.shape[i] + x
	}
	return off
}

// Reshape returns a view with a new shape and the same number of elements.
// One dimension may be -1, meaning "whatever is left".
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	shape = append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("tensor: cannot reshape %v to %v: bad dimension %d", t.shape, shape, d)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.data)%known != 0 {
			return nil, fmt.Errorf("tensor: cannot reshape %v (%d values) to %v", t.shape, len(t.data), shape)
		}
		shape[infer] = len(t.data) / known
		known *= shape[infer]
	}
	if known != len(t.data) {
		return nil, fmt.Errorf("tensor: cannot reshape %v (%d values) to %v (%d values)", t.shape, len(t.data), shape, known)
	}
	return &Tensor{shape: shape, data: t.data}, nil
}

// Slice returns a view of rows [lo, hi) along the first axis.
func (t *Tensor) Slice(lo, hi int) *Tensor {
	if len(t.shape) == 0 || lo < 0 || hi < lo || hi > t.shape[0] {
		panic(fmt.Sprintf("tensor: slice [%d:%d] out of range for shape %v", lo, hi, t.shape))
	}
	row := 1
	for _, d := range t.shape[1:] {
		row *= d
	}
	shape := append([]int{hi - lo}, t.shape[1:]...)
	return &Tensor{shape: shape, data: t.data[lo*row : hi*row : hi*row]}
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{shape: append([]int(nil), t.shape...), data: append([]float32(nil), t.data...)}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.data) }

// CopyFrom copies src's values into t; the element counts must agree.
func (t *Tensor) CopyFrom(src *Tensor) {
	if len(src.data) != len(t.data) {
		panic(fmt.Sprintf("tensor: CopyFrom %v into %v", src.shape, t.shape))
	}
	copy(t.data, src.data)
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ShapeString formats a shape the way Keras prints it, e.g. "(None, 28, 28)"
// when batch is true, "(28, 28)" otherwise.
func ShapeString(shape []int, batch bool) string {
	var b strings.Builder
	b.WriteByte('(')
	parts := make([]string, 0, len(shape)+1)
	if batch {
		parts = append(parts, "None")
	}
	for _, d := range shape {
		parts = append(parts, fmt.Sprint(d))
	}
	b.WriteString(strings.Join(parts, ", "))
	if len(parts) == 1 && !batch {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// DimsString writes a shape as the arguments of Reshape: "28, 28, 1", for
// the error messages that tell how to reshape an input.
func DimsString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, ", ")
}

// String prints the shape and up to the first 8 values.
func (t *Tensor) String() string {
	n := min(len(t.data), 8)
	s := fmt.Sprintf("Tensor%v%v", ShapeString(t.shape, false), t.data[:n])
	if n < len(t.data) {
		s = s[:len(s)-1] + " ...]"
	}
	return s
}

// Gather copies the given rows (indices along the first axis) one after
// another into dst, which must hold exactly len(rows) rows. With Shape, it
// makes a Tensor a data source for training (goras.Data).
func (t *Tensor) Gather(dst []float32, rows []int) {
	row := 1
	for _, d := range t.shape[1:] {
		row *= d
	}
	if len(dst) != len(rows)*row {
		panic(fmt.Sprintf("tensor: Gather of %d rows of %v into %d values", len(rows), t.shape, len(dst)))
	}
	for i, r := range rows {
		copy(dst[i*row:(i+1)*row], t.data[r*row:(r+1)*row])
	}
}

// ScaleBytes writes dst[i] = float32(src[i]) / div, correctly rounded, with
// the SIMD kernel where the CPU has one: how 8-bit pixels become a model's
// float32 input (div 255 is Keras's x / 255). The slices have equal length.
func ScaleBytes(dst []float32, src []uint8, div float32) { kernel.ScaleUint8(dst, src, div) }

// ScaleByteRows gathers rows of n bytes of src (row r is src[r*n:(r+1)*n])
// into dst one after another, each scaled as ScaleBytes scales it (the same
// bits): a shuffled batch of a data set kept as bytes. The rows' memory is
// requested ahead of their conversion, so a batch scattered over a set
// larger than the caches gathers about three times as fast as row by row.
// len(dst) is len(rows)*n.
func ScaleByteRows(dst []float32, src []uint8, n int, rows []int, div float32) {
	kernel.ScaleUint8Rows(dst, src, n, rows, div)
}
