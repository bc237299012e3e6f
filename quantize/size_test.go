package quantize_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goras-ml/goras/quantize"
)

// fileTensor is a tensor of a hand-made quantized model file.
type fileTensor struct {
	name, dtype string
	shape       []int
	data        []byte
}

// handMade writes a quantized model file from its description (the JSON
// of the "quantized" metadata) and tensors, as the safetensors format
// lays them out, without the package's writer.
func handMade(desc string, ts []fileTensor) []byte {
	meta, _ := json.Marshal(map[string]string{"format": "goras-int8", "quantized": desc})
	var h bytes.Buffer
	fmt.Fprintf(&h, `{"__metadata__":%s`, meta)
	off := 0
	for _, t := range ts {
		shape, _ := json.Marshal(t.shape)
		fmt.Fprintf(&h, `,%q:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, t.name, t.dtype, shape, off, off+len(t.data))
		off += len(t.data)
	}
	h.WriteByte('}')
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(h.Len()))
	out.Write(h.Bytes())
	for _, t := range ts {
		out.Write(t.data)
	}
	return out.Bytes()
}

// layerTensors are the three tensors of a layer whose kernel has the
// given shape: every weight 1, every scale 0.01, every bias 0.
func layerTensors(name string, shape ...int) []fileTensor {
	n, f := 1, shape[len(shape)-1]
	for _, d := range shape {
		n *= d
	}
	scales := make([]byte, 4*f)
	for j := 0; j < f; j++ {
		binary.LittleEndian.PutUint32(scales[4*j:], math.Float32bits(0.01))
	}
	return []fileTensor{
		{name + "/kernel", "I8", shape, bytes.Repeat([]byte{1}, n)},
		{name + "/kernel_scale", "F32", []int{f}, scales},
		{name + "/bias", "F32", []int{f}, make([]byte, 4*f)},
	}
}

// bigImages is a model of a few hundred bytes: an 8192×8192×4 input, convs
// 1×1 convolutions from 4 to 4 channels, 13 poolings down to 1×1×4, then
// a Dense to one output.
func bigImages(convs int) []byte {
	const q = `{"scale":0.01,"zero_point":0}`
	var ls []string
	var ts []fileTensor
	for i := 0; i < convs; i++ {
		name := fmt.Sprintf("c%d", i)
		ls = append(ls, fmt.Sprintf(`{"class_name":"QuantizedConv2D","config":{"name":%q,"kernel_size":[1,1],"filters":4,"strides":[1,1],"padding":[0,0,0,0],"output":%s}}`, name, q))
		ts = append(ts, layerTensors(name, 1, 1, 4, 4)...)
	}
	for i := 0; i < 13; i++ {
		ls = append(ls, `{"class_name":"MaxPooling2D","config":{}}`)
	}
	ls = append(ls, `{"class_name":"Flatten","config":{}}`, `{"class_name":"QuantizedDense","config":{"name":"d","units":1}}`)
	ts = append(ts, layerTensors("d", 4, 1)...)
	desc := fmt.Sprintf(`{"name":"big","input_shape":[8192,8192,4],"input":%s,"layers":[%s]}`, q, strings.Join(ls, ","))
	return handMade(desc, ts)
}

// TestLoadBoundsModelSize checks that Load refuses a small file whose
// layers would need more than 1 GiB, before allocating them, with an
// error naming the file, the size and the limit; and that a model just
// under the limit loads.
func TestLoadBoundsModelSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "huge-int8.safetensors")
	raw := bigImages(3)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	// The buffers of one sample, worked out by hand: per convolution its
	// padded input 8192·8192·4 + 4 bytes (the GEMM's over-read) and its
	// output 8192·8192·4; the poolings' outputs 4·(4^12 + … + 4^0); the
	// dense layer's 32 rows of 4 inputs + 4; 32 int32 sums.
	act := 3*(2*8192*8192*4+4) + 4*(int64(math.Pow(4, 13))-1)/3 + (32*4 + 4) + 32*4
	// The weights as Load makes them: a convolution's 16-byte kernel, 4
	// scales and biases (32 bytes), the kernel packed as one group of 4
	// rows by 16 columns (64) and again narrow (4 rows by 4 columns, 16),
	// 16 multipliers and addends (128); the Dense's 4 + 8 + 64 + 4 + 128.
	weights := int64(3*(16+32+64+16+128) + (4 + 8 + 64 + 4 + 128))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := quantize.Load(path)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatalf("a %d-byte file needing %d bytes loaded as %q", len(raw), act+weights, m.Name())
	}
	for _, want := range []string{"huge-int8.safetensors", fmt.Sprintf("needs %d bytes (1.6 GiB)", act+weights),
		fmt.Sprintf("%d for its weights and %d for the buffers", weights, act), "limit for a quantized model is 1073741824 bytes (1.0 GiB)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing a %d-byte file allocated %d bytes", len(raw), n)
	}
	// One convolution: 600 MiB of buffers, under the limit. Load makes
	// none of them (Predict would).
	m, err = quantize.Decode(bigImages(1))
	if err != nil {
		t.Fatalf("a model of one convolution: %v", err)
	}
	if !slices.Equal(m.InputShape(), []int{8192, 8192, 4}) || m.Classes() != 1 {
		t.Errorf("model of one convolution: input %v, %d classes; want [8192 8192 4] and 1", m.InputShape(), m.Classes())
	}
}

// TestLoadRefusesWhatIsNoFile checks that Load refuses a directory, a
// named pipe (which reading would wait on forever) and a file larger than
// any quantized model, without reading them, and that IsQuantizedFile
// says no to them (it waited on the pipe).
func TestLoadRefusesWhatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.safetensors")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk used.
	const size = 8 + 100_000_000 + 1<<30 + 1
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := []struct{ path, want string }{
		{dir, "not a regular file"},
		{big, fmt.Sprintf("the file is %d bytes (1.1 GiB), more than a quantized model can be (%d bytes", size, size-1)},
	}
	if fifo := filepath.Join(dir, "pipe"); mkfifo(fifo) == nil {
		cases = append(cases, struct{ path, want string }{fifo, "not a regular file"})
	}
	for _, c := range cases {
		done := make(chan error, 1)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		go func() {
			if quantize.IsQuantizedFile(c.path) {
				done <- fmt.Errorf("IsQuantizedFile says yes")
				return
			}
			_, err := quantize.Load(c.path)
			done <- err
		}()
		select {
		case err := <-done:
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("Load(%s): %v; want an error naming it and saying %q", c.path, err, c.want)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("Load(%s) allocated %d bytes", c.path, n)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Load(%s) still waiting after 5 s", c.path)
		}
	}
}
