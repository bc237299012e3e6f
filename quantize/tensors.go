package quantize

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/goras-ml/goras/internal/safetensors"
)

// A quantized model file is a safetensors file, the format other
// frameworks read, with int8 ("I8") kernels beside float32 ("F32") scales
// and biases, read and written through internal/safetensors's raw API,
// which checks every length, offset and shape against the file.

// maxHeader bounds a file's header, as internal/safetensors does.
const maxHeader = safetensors.MaxHeaderSize

func i8Tensor(name string, v []int8, shape ...int) safetensors.Raw {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return safetensors.Raw{Name: name, DType: "I8", Shape: shape, Bytes: b}
}

func f32Tensor(name string, v []float32, shape ...int) safetensors.Raw {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return safetensors.Raw{Name: name, DType: "F32", Shape: shape, Bytes: b}
}

// readTensors reads the bytes of a safetensors file of I8 and F32
// tensors: its tensors by name (their bytes slices of raw) and its
// metadata.
func readTensors(raw []byte) (map[string]safetensors.Raw, map[string]string, error) {
	ts, meta, err := safetensors.DecodeRaw(raw, "I8", "F32")
	if err != nil {
		return nil, nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "safetensors: "))
	}
	byName := make(map[string]safetensors.Raw, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	return byName, meta, nil
}

// checkTensor checks that t holds n values of dtype.
func checkTensor(t safetensors.Raw, dtype string, n int) error {
	size := map[string]int{"I8": 1, "F32": 4}[dtype]
	if t.DType != dtype || len(t.Bytes) != n*size {
		return fmt.Errorf("tensor %q is %s of shape %v; want %s with %d values", t.Name, t.DType, t.Shape, dtype, n)
	}
	return nil
}

// int8s and float32s decode a tensor checked by checkTensor; float32s
// refuses NaN and infinities.
func int8s(t safetensors.Raw) []int8 {
	v := make([]int8, len(t.Bytes))
	for i, x := range t.Bytes {
		v[i] = int8(x)
	}
	return v
}

func float32s(t safetensors.Raw) ([]float32, error) {
	v := make([]float32, len(t.Bytes)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Bytes[4*i:]))
		if math.IsNaN(float64(v[i])) || math.IsInf(float64(v[i]), 0) {
			return nil, fmt.Errorf("tensor %q holds %v at %d; want finite values", t.Name, v[i], i)
		}
	}
	return v, nil
}
