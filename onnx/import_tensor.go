package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// constant is a tensor whose values are known when the model is imported:
// an initializer, a Constant node's value, or what the importer works out
// from them (shapes, axes). Floats are kept as float32, integers (and
// booleans) as int64; batchDim stands, in an integer constant made by
// Shape, for the batch size, which is only known when the model runs.
type constant struct {
	shape []int
	f     []float32
	i     []int64
	isInt bool
}

// batchDim marks the batch size in a shape computed by Shape.
const batchDim = math.MinInt64

// Limits on what an ONNX file may make the importer allocate: a tensor's
// rank and sizes are checked against them, and against the bytes the file
// really holds, before anything is allocated.
const (
	maxRank        = 8
	maxDim         = 1 << 28
	maxFolded      = 1 << 20 // values of a constant the importer computes (ConstantOfShape, ...)
	maxFoldedTotal = 1 << 24 // values of all of them
	maxKernel      = 1 << 24 // values of a dilated Conv2D kernel, zeros included
	maxAttrValue   = 1 << 20 // a kernel size, stride, padding or dilation
	maxLayerValues = 1 << 28 // values per sample of a layer's output, as goras itself allows
)

func (c *constant) len() int { return numel(c.shape) }

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// floats returns the values as float32, converting integers.
func (c *constant) floats() []float32 {
	if !c.isInt {
		return c.f
	}
	out := make([]float32, len(c.i))
	for k, v := range c.i {
		out[k] = float32(v)
	}
	return out
}

// ints returns the values as int64, refusing fractions.
func (c *constant) ints() ([]int64, error) {
	if c.isInt {
		return c.i, nil
	}
	out := make([]int64, len(c.f))
	for k, v := range c.f {
		if float32(int64(v)) != v {
			return nil, fmt.Errorf("expected integers, got %v", v)
		}
		out[k] = int64(v)
	}
	return out, nil
}

// checkRank refuses a shape of more than maxRank axes (a computed tensor's
// batch axis counted). Every shape the importer works out passes it, so
// that a small file cannot grow shapes without bound: a Gather of a
// constant by itself doubles its rank, each Unsqueeze adds axes.
func checkRank(rank int) error {
	if rank > maxRank {
		return fmt.Errorf("rank %d is more than the %d goras supports", rank, maxRank)
	}
	return nil
}

// checkShape checks an ONNX tensor shape and returns it as ints: a rank of
// at most maxRank, sizes in [0, maxDim], and no more than limit values.
func checkShape(dims []int64, limit int) ([]int, error) {
	if err := checkRank(len(dims)); err != nil {
		return nil, err
	}
	shape := make([]int, len(dims))
	n := 1
	for k, d := range dims {
		if d < 0 || d > maxDim {
			return nil, fmt.Errorf("shape %v has a size outside [0, %d]", dims, maxDim)
		}
		shape[k] = int(d)
		if d > 0 && n > limit/int(d) {
			return nil, fmt.Errorf("shape %v holds more than %d values", dims, limit)
		}
		n *= int(d)
	}
	if n > limit {
		return nil, fmt.Errorf("shape %v holds more than %d values", dims, limit)
	}
	return shape, nil
}

// decodeTensor reads a TensorProto: float32, float16, bfloat16 and float64
// become float32; integer and boolean types int64. Its size is checked
// against the data the file holds before anything is allocated.
func decodeTensor(t *onnxpb.TensorProto) (*constant, error) {
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return nil, fmt.Errorf("tensor %q keeps its data in an external file, which goras does not read; save the model with its weights inside (onnx.save_model(m, path, save_as_external_data=False))", t.GetName())
	}
	if t.GetSegment() != nil {
		return nil, fmt.Errorf("tensor %q is split in segments, which goras does not read", t.GetName())
	}
	shape, err := checkShape(t.GetDims(), math.MaxInt32)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %v", t.GetName(), err)
	}
	n := numel(shape)
	dt := onnxpb.TensorProto_DataType(t.GetDataType())
	raw := t.GetRawData()
	size, ok := elemSize[dt]
	if !ok {
		return nil, fmt.Errorf("tensor %q has data type %v; goras reads float32, float16, bfloat16, float64, integers and booleans", t.GetName(), dt)
	}
	have := 0
	switch {
	case raw != nil:
		have = len(raw) / size
		if len(raw)%size != 0 {
			have = -1
		}
	case dt == onnxpb.TensorProto_FLOAT:
		have = len(t.GetFloatData())
	case dt == onnxpb.TensorProto_DOUBLE:
		have = len(t.GetDoubleData())
	case dt == onnxpb.TensorProto_INT64:
		have = len(t.GetInt64Data())
	case dt == onnxpb.TensorProto_UINT32 || dt == onnxpb.TensorProto_UINT64:
		have = len(t.GetUint64Data())
	default: // int32, int16, int8, uint16, uint8, bool, float16, bfloat16 travel in int32_data
		have = len(t.GetInt32Data())
	}
	if have != n {
		return nil, fmt.Errorf("tensor %q declares shape %v (%d values) but holds %d", t.GetName(), shape, n, have)
	}
	c := &constant{shape: shape}
	if isFloatType(dt) {
		c.f = make([]float32, n)
		for k := range c.f {
			c.f[k] = floatAt(t, dt, raw, k)
		}
		return c, nil
	}
	c.isInt, c.i = true, make([]int64, n)
	for k := range c.i {
		c.i[k] = intAt(t, dt, raw, k)
	}
	return c, nil
}

var elemSize = map[onnxpb.TensorProto_DataType]int{
	onnxpb.TensorProto_FLOAT: 4, onnxpb.TensorProto_DOUBLE: 8, onnxpb.TensorProto_FLOAT16: 2, onnxpb.TensorProto_BFLOAT16: 2,
	onnxpb.TensorProto_INT64: 8, onnxpb.TensorProto_INT32: 4, onnxpb.TensorProto_INT16: 2, onnxpb.TensorProto_INT8: 1,
	onnxpb.TensorProto_UINT64: 8, onnxpb.TensorProto_UINT32: 4, onnxpb.TensorProto_UINT16: 2, onnxpb.TensorProto_UINT8: 1,
	onnxpb.TensorProto_BOOL: 1,
}

func isFloatType(dt onnxpb.TensorProto_DataType) bool {
	switch dt {
	case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_FLOAT16, onnxpb.TensorProto_BFLOAT16:
		return true
	}
	return false
}

// floatAt is value k of a floating-point tensor, as float32.
func floatAt(t *onnxpb.TensorProto, dt onnxpb.TensorProto_DataType, raw []byte, k int) float32 {
	le := binary.LittleEndian
	switch dt {
	case onnxpb.TensorProto_FLOAT:
		if raw != nil {
			return math.Float32frombits(le.Uint32(raw[4*k:]))
		}
		return t.GetFloatData()[k]
	case onnxpb.TensorProto_DOUBLE:
		if raw != nil {
			return float32(math.Float64frombits(le.Uint64(raw[8*k:])))
		}
		return float32(t.GetDoubleData()[k])
	}
	var bits uint16
	if raw != nil {
		bits = le.Uint16(raw[2*k:])
	} else {
		bits = uint16(t.GetInt32Data()[k])
	}
	if dt == onnxpb.TensorProto_BFLOAT16 {
		return math.Float32frombits(uint32(bits) << 16)
	}
	return half(bits)
}

// half converts an IEEE 754 half-precision number to float32 (exactly:
// every float16 is a float32).
func half(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: frac·2^-24.
	v := float32(frac) / (1 << 24)
	if sign != 0 {
		v = -v
	}
	return v
}

// intAt is value k of an integer or boolean tensor.
func intAt(t *onnxpb.TensorProto, dt onnxpb.TensorProto_DataType, raw []byte, k int) int64 {
	le := binary.LittleEndian
	if raw == nil {
		switch dt {
		case onnxpb.TensorProto_INT64:
			return t.GetInt64Data()[k]
		case onnxpb.TensorProto_UINT32, onnxpb.TensorProto_UINT64:
			return int64(t.GetUint64Data()[k])
		}
		return int64(t.GetInt32Data()[k])
	}
	switch dt {
	case onnxpb.TensorProto_INT64, onnxpb.TensorProto_UINT64:
		return int64(le.Uint64(raw[8*k:]))
	case onnxpb.TensorProto_INT32:
		return int64(int32(le.Uint32(raw[4*k:])))
	case onnxpb.TensorProto_UINT32:
		return int64(le.Uint32(raw[4*k:]))
	case onnxpb.TensorProto_INT16:
		return int64(int16(le.Uint16(raw[2*k:])))
	case onnxpb.TensorProto_UINT16:
		return int64(le.Uint16(raw[2*k:]))
	case onnxpb.TensorProto_INT8:
		return int64(int8(raw[k]))
	}
	return int64(raw[k]) // uint8, bool
}

// Attributes of a node, by name, with the defaults the operator's schema
// gives.

func attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// attrTypeError is an attribute written with another type than its
// operator defines: read as the type it should have, an INT written as a
// FLOAT would be 0, silently. The attr* readers panic with it; importNode
// turns it into the node's error.
type attrTypeError struct {
	name      string
	got, want onnxpb.AttributeProto_AttributeType
}

// wantType panics with an attrTypeError when a says it is of a type other
// than want (an attribute that says no type is taken as it is read).
func wantType(a *onnxpb.AttributeProto, want onnxpb.AttributeProto_AttributeType) {
	if t := a.GetType(); t != onnxpb.AttributeProto_UNDEFINED && t != want {
		panic(attrTypeError{a.GetName(), t, want})
	}
}

func attrInt(n *onnxpb.NodeProto, name string, def int64) int64 {
	if a := attr(n, name); a != nil {
		wantType(a, onnxpb.AttributeProto_INT)
		return a.GetI()
	}
	return def
}

// attrFloat reads a float attribute as the decimal it was written from: a
// float32 0.001 becomes 0.001, not 0.0010000000474974513, so that an
// epsilon or slope means in goras (float64 configs) what it meant.
func attrFloat(n *onnxpb.NodeProto, name string, def float64) float64 {
	if a := attr(n, name); a != nil {
		wantType(a, onnxpb.AttributeProto_FLOAT)
		return shortest(a.GetF())
	}
	return def
}

// shortest is the float64 of the shortest decimal that reads back as f.
func shortest(f float32) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	if err != nil {
		return float64(f)
	}
	return v
}

func attrString(n *onnxpb.NodeProto, name, def string) string {
	if a := attr(n, name); a != nil {
		wantType(a, onnxpb.AttributeProto_STRING)
		return string(a.GetS())
	}
	return def
}

// attrInts reads a list of integers, each within [-maxAttrValue,
// maxAttrValue]; nil when absent.
func attrInts(n *onnxpb.NodeProto, name string) ([]int, error) {
	a := attr(n, name)
	if a == nil {
		return nil, nil
	}
	wantType(a, onnxpb.AttributeProto_INTS)
	if len(a.GetInts()) > maxRank*2 {
		return nil, fmt.Errorf("attribute %s has %d values, more than any operator goras imports takes", name, len(a.GetInts()))
	}
	out := make([]int, len(a.GetInts()))
	for k, v := range a.GetInts() {
		if v < -maxAttrValue || v > maxAttrValue {
			return nil, fmt.Errorf("attribute %s = %v has a value outside [-%d, %d]", name, a.GetInts(), maxAttrValue, maxAttrValue)
		}
		out[k] = int(v)
	}
	return out, nil
}
