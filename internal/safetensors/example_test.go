package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras/internal/safetensors"
)

// Two tensors and a metadata entry written to a file and read back.
func Example() {
	dir, err := os.MkdirTemp("", "safetensors-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	ts := []safetensors.Tensor{
		{Name: "dense/kernel", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "dense/bias", Shape: []int{3}, Data: []float32{0.5, 0, -0.5}},
	}
	if err := safetensors.WriteFile(path, ts, map[string]string{"format": "goras"}); err != nil {
		fmt.Println(err)
		return
	}

	f, err := safetensors.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("metadata:", f.Metadata)
	for _, t := range f.Tensors {
		fmt.Println(t.Name, t.DType, t.Shape, t.Data)
	}
	fmt.Println(f.Tensor("dense/bias").Data[2])
	// Output:
	// metadata: map[format:goras]
	// dense/kernel F32 [2 3] [1 2 3 4 5 6]
	// dense/bias F32 [3] [0.5 0 -0.5]
	// -0.5
}

// The format is 8 bytes of header length, the JSON header, then the data;
// a truncated file is an error naming the fault, never a panic.
func ExampleDecode() {
	var buf bytes.Buffer
	safetensors.Encode(&buf, []safetensors.Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}}, nil)
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	fmt.Println(strings.TrimSpace(string(b[8 : 8+n])))
	fmt.Println("data bytes:", len(b)-8-int(n))

	f, err := safetensors.Decode(b)
	fmt.Println(f.Tensors[0].Data, err)

	_, err = safetensors.Decode(b[:len(b)-1])
	fmt.Println(err != nil)
	// Output:
	// {"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}
	// data bytes: 8
	// [1 2] <nil>
	// true
}
