package arrays

import (
	"encoding/binary"
	"fmt"
	"math"
)

// dtype is a numpy element type goras reads: its name (numpy's), its size
// in bytes and how its bytes become float32.
type dtype struct {
	name   string
	size   int
	order  binary.ByteOrder
	decode func(dt dtype, dst []float32, src []byte) error
}

// lookupDtype resolves a descr such as '<f4', '>i8' or '|u1'.
func lookupDtype(descr string) (dtype, error) {
	if len(descr) < 3 {
		return dtype{}, fmt.Errorf("dtype %q is not a numpy type string", descr)
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch descr[0] {
	case '<', '|', '=':
	case '>':
		order = binary.BigEndian
	default:
		return dtype{}, fmt.Errorf("dtype %q: unknown byte order %q", descr, descr[0])
	}
	kinds := map[string]dtype{
		"f2": {name: "float16", size: 2, decode: decodeFloat16},
		"f4": {name: "float32", size: 4, decode: decodeFloat32},
		"f8": {name: "float64", size: 8, decode: decodeFloat64},
		"i1": {name: "int8", size: 1, decode: decodeInt},
		"i2": {name: "int16", size: 2, decode: decodeInt},
		"i4": {name: "int32", size: 4, decode: decodeInt},
		"i8": {name: "int64", size: 8, decode: decodeInt},
		"u1": {name: "uint8", size: 1, decode: decodeUint},
		"u2": {name: "uint16", size: 2, decode: decodeUint},
		"u4": {name: "uint32", size: 4, decode: decodeUint},
		"u8": {name: "uint64", size: 8, decode: decodeUint},
		"b1": {name: "bool", size: 1, decode: decodeUint},
	}
	dt, ok := kinds[descr[1:]]
	if !ok {
		return dtype{}, fmt.Errorf("dtype %q (%s) is not supported: convert the array to float32 first, e.g. a.astype(\"float32\")", descr, kindName(descr[1]))
	}
	dt.order = order
	return dt, nil
}

func kindName(k byte) string {
	switch k {
	case 'c':
		return "complex"
	case 'U', 'S', 'a':
		return "text"
	case 'O':
		return "Python objects"
	case 'M', 'm':
		return "dates or durations"
	case 'V':
		return "raw bytes or records"
	}
	return "unknown kind"
}

func decodeFloat32(dt dtype, dst []float32, src []byte) error {
	for i := range dst {
		dst[i] = math.Float32frombits(dt.order.Uint32(src[4*i:]))
	}
	return nil
}

func decodeFloat64(dt dtype, dst []float32, src []byte) error {
	for i := range dst {
		v := math.Float64frombits(dt.order.Uint64(src[8*i:]))
		if !finite32(v) {
			return fmt.Errorf("element %d is %g, beyond float32's range (±3.4e38)", i, v)
		}
		dst[i] = float32(v)
	}
	return nil
}

// decodeFloat16 widens IEEE half-precision values, subnormals, infinities
// and NaNs included.
func decodeFloat16(dt dtype, dst []float32, src []byte) error {
	for i := range dst {
		h := dt.order.Uint16(src[2*i:])
		sign := uint32(h>>15) << 31
		exp, frac := uint32(h>>10)&0x1f, uint32(h)&0x3ff
		var bits uint32
		switch {
		case exp == 0x1f: // Inf or NaN
			bits = sign | 0xff<<23 | frac<<13
		case exp == 0 && frac == 0:
			bits = sign
		case exp == 0: // subnormal: frac·2^-24
			v := float32(frac) / (1 << 24)
			bits = sign | math.Float32bits(v)
		default:
			bits = sign | (exp+127-15)<<23 | frac<<13
		}
		dst[i] = math.Float32frombits(bits)
	}
	return nil
}

func decodeInt(dt dtype, dst []float32, src []byte) error {
	for i := range dst {
		var v int64
		switch dt.size {
		case 1:
			v = int64(int8(src[i]))
		case 2:
			v = int64(int16(dt.order.Uint16(src[2*i:])))
		case 4:
			v = int64(int32(dt.order.Uint32(src[4*i:])))
		default:
			v = int64(dt.order.Uint64(src[8*i:]))
		}
		if v > exactInt || v < -exactInt {
			return fmt.Errorf("element %d is %d, which float32 cannot hold exactly (only integers up to ±16777216); scale the array or convert it to float first", i, v)
		}
		dst[i] = float32(v)
	}
	return nil
}

func decodeUint(dt dtype, dst []float32, src []byte) error {
	for i := range dst {
		var v uint64
		switch dt.size {
		case 1:
			v = uint64(src[i])
		case 2:
			v = uint64(dt.order.Uint16(src[2*i:]))
		case 4:
			v = uint64(dt.order.Uint32(src[4*i:]))
		default:
			v = dt.order.Uint64(src[8*i:])
		}
		if v > exactInt {
			return fmt.Errorf("element %d is %d, which float32 cannot hold exactly (only integers up to 16777216); scale the array or convert it to float first", i, v)
		}
		dst[i] = float32(v)
	}
	return nil
}
