package quantize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/tensor"
)

// A quantized model file holds, per Conv2D or Dense, the tensors
// NAME/kernel (I8, the float layer's kernel shape), NAME/kernel_scale and
// NAME/bias (F32, one per output channel, BatchNormalization folded in),
// and in __metadata__:
//
//	format         "goras-int8"
//	goras_version  the writer's goras.Version
//	quantized      the layers as JSON: {"name", "input_shape", "input":
//	               {"scale", "zero_point"}, "layers": [{"class_name":
//	               "QuantizedConv2D" | "MaxPooling2D" | "Flatten" |
//	               "QuantizedDense", "config": {...}}, ...]}; each layer's
//	               output quantization is in its config, its input's is the
//	               layer before's
//	class_names    the float model's, a JSON list, when it had them
//
// Everything Predict uses is derived from these by the same code that
// derives it after Quantize, so a loaded model predicts bit for bit what
// the saved one did.

const fileFormat = "goras-int8"

type fileModel struct {
	Name       string      `json:"name"`
	InputShape []int       `json:"input_shape"`
	Input      fileParams  `json:"input"`
	Layers     []fileLayer `json:"layers"`
}

type fileParams struct {
	Scale     float32 `json:"scale"`
	ZeroPoint uint8   `json:"zero_point"`
}

type fileLayer struct {
	ClassName string     `json:"class_name"`
	Config    fileConfig `json:"config"`
}

// fileConfig is the union of the layers' configs: Conv2D's kernel_size,
// filters, strides and padding (top, bottom, left, right), Dense's units
// and softmax; relu and output for both.
type fileConfig struct {
	Name       string      `json:"name,omitempty"`
	From       []string    `json:"from,omitempty"`
	KernelSize []int       `json:"kernel_size,omitempty"`
	Filters    int         `json:"filters,omitempty"`
	Strides    []int       `json:"strides,omitempty"`
	Padding    []int       `json:"padding,omitempty"`
	Units      int         `json:"units,omitempty"`
	ReLU       bool        `json:"relu,omitempty"`
	Softmax    bool        `json:"softmax,omitempty"`
	Output     *fileParams `json:"output,omitempty"`
}

func toFile(p params) *fileParams  { return &fileParams{p.Scale, p.Zero} }
func fromFile(p fileParams) params { return params{p.Scale, p.ZeroPoint} }

// Save writes the model to path, atomically, as a safetensors file of int8
// weights and float32 scales (see the layout above); Load reads it back.
func (m *Model) Save(path string) error {
	fm := fileModel{Name: m.name, InputShape: m.input, Input: *toFile(m.in)}
	var bs []safetensors.Raw
	for _, st := range m.image {
		if c := st.conv; c != nil {
			fm.Layers = append(fm.Layers, fileLayer{"QuantizedConv2D", fileConfig{Name: c.Name, From: c.From,
				KernelSize: []int{c.KH, c.KW}, Filters: c.F, Strides: []int{c.SH, c.SW}, Padding: []int{c.PT, c.PB, c.PL, c.PR},
				ReLU: c.ReLU, Output: toFile(c.Out)}})
			bs = append(bs, c.tensors(c.Name, c.KH, c.KW, c.C, c.F)...)
		} else {
			fm.Layers = append(fm.Layers, fileLayer{"MaxPooling2D", fileConfig{Name: st.pool.Name}})
		}
	}
	fm.Layers = append(fm.Layers, fileLayer{ClassName: "Flatten"})
	for i, d := range m.dense {
		fc := fileConfig{Name: d.Name, From: d.From, Units: d.Units, ReLU: d.ReLU, Softmax: d.Softmax}
		if i < len(m.dense)-1 {
			fc.Output = toFile(d.Out)
		}
		fm.Layers = append(fm.Layers, fileLayer{"QuantizedDense", fc})
		bs = append(bs, d.tensors(d.Name, d.Inputs, d.Units)...)
	}
	desc, err := json.Marshal(fm)
	if err != nil {
		return fmt.Errorf("quantize: %s: %v", path, err)
	}
	meta := map[string]string{"format": fileFormat, "goras_version": goras.Version, "quantized": string(desc)}
	if len(m.classNames) > 0 {
		names, _ := json.Marshal(m.classNames)
		meta["class_names"] = string(names)
	}
	if err := safetensors.WriteRawFile(path, bs, meta); err != nil {
		return fmt.Errorf("quantize: %s", strings.TrimPrefix(err.Error(), "safetensors: "))
	}
	return nil
}

// tensors are a layer's three tensors; shape is its kernel's.
func (mm *matmul) tensors(name string, shape ...int) []safetensors.Raw {
	f := shape[len(shape)-1]
	return []safetensors.Raw{i8Tensor(name+"/kernel", mm.W, shape...), f32Tensor(name+"/kernel_scale", mm.WScale, f), f32Tensor(name+"/bias", mm.Bias, f)}
}

// maxValues bounds every activation and weight tensor a file may declare,
// so that a hostile header cannot make Load allocate without limit.
const maxValues = 1 << 28

// Load reads a model written by Save. It trusts nothing in the file: the
// layers' shapes must chain from the input to the output, every tensor
// must be there with the shape its layer needs, scales must be positive
// and finite; the error names the file and what is wrong.
func Load(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("quantize: %s: not a regular file (its mode is %v); give the path of a model file goras quantize wrote", path, st.Mode())
	}
	// A file's tensors are part of what maxModelBytes counts.
	if limit := int64(8 + maxHeader + maxModelBytes); st.Size() > limit {
		return nil, fmt.Errorf("quantize: %s: the file is %d bytes (%s), more than a quantized model can be (%d bytes: the header's limit and the model's, %s)",
			path, st.Size(), human(st.Size()), limit, human(maxModelBytes))
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	return decode(raw, path)
}

// Decode reads a model from the bytes of a file written by Save, with
// Load's checks.
func Decode(data []byte) (*Model, error) { return decode(data, "model") }

// decode is Load of the file's bytes raw; name is what errors call it.
func decode(raw []byte, name string) (*Model, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("quantize: %s: %s", name, fmt.Sprintf(format, args...))
	}
	bs, meta, err := readTensors(raw)
	if err != nil {
		return nil, fail("%v", err)
	}
	if meta["format"] != fileFormat {
		return nil, fail("not a quantized goras model (its __metadata__ format is %q, want %q); a float model loads with saving.Load, and `goras quantize` makes a quantized one", meta["format"], fileFormat)
	}
	var fm fileModel
	dec := json.NewDecoder(bytes.NewReader([]byte(meta["quantized"])))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fm); err != nil {
		return nil, fail("its quantized description is not valid: %v", err)
	}
	m, err := fromDescription(fm, bs)
	if err != nil {
		return nil, fail("%v", err)
	}
	if s, ok := meta["class_names"]; ok {
		if err := json.Unmarshal([]byte(s), &m.classNames); err != nil || len(m.classNames) != m.Classes() {
			return nil, fail("class_names must be a JSON list of %d names, got %.80q", m.Classes(), s)
		}
	}
	m.finish()
	return m, nil
}

// fromDescription builds the layers of fm with the tensors of bs, checking
// each against the shape the layers before give it. It works in two
// passes: the first checks every layer's configuration and its tensors'
// dtypes and shapes, and the model's total size, allocating nothing the
// file's description could make large; the second decodes the weights.
func fromDescription(fm fileModel, bs map[string]safetensors.Raw) (*Model, error) {
	m := &Model{name: fm.Name, input: fm.InputShape, in: fromFile(fm.Input)}
	if err := checkShape(fm.InputShape, "input_shape"); err != nil {
		return nil, err
	}
	if err := checkParams(m.in, "the input"); err != nil {
		return nil, err
	}
	weights, err := m.addLayers(fm.Layers, bs)
	if err != nil {
		return nil, err
	}
	if len(m.dense) == 0 {
		return nil, fmt.Errorf("it has no QuantizedDense layer")
	}
	if 3*len(weights) != len(bs) {
		return nil, fmt.Errorf("it holds %d tensors but its layers use %d", len(bs), 3*len(weights))
	}
	if err := m.checkSize(); err != nil {
		return nil, err
	}
	for _, w := range weights {
		if err := w.mm.loadWeights(w.name, bs); err != nil {
			return nil, fmt.Errorf("layer %d (%s %q): %v", w.layer, w.class, w.name, err)
		}
	}
	return m, nil
}

// pendingWeights are a layer's tensors, checked for shape, to be decoded
// once the whole model is known to fit.
type pendingWeights struct {
	layer       int
	class, name string
	mm          *matmul
	shape       []int
}

// addLayers appends fm's layers to m without their weights, and returns
// the weights to load.
func (m *Model) addLayers(ls []fileLayer, bs map[string]safetensors.Raw) ([]pendingWeights, error) {
	var weights []pendingWeights
	shape, cur := m.input, m.in
	for i, l := range ls {
		if i == len(ls)-1 && l.ClassName != "QuantizedDense" {
			return nil, fmt.Errorf("the last layer is %s; a quantized model ends with a QuantizedDense", l.ClassName)
		}
		var (
			err error
			pw  *pendingWeights
		)
		switch l.ClassName {
		case "QuantizedConv2D":
			if shape, cur, err = m.addConv(l.Config, shape, cur); err == nil {
				c := m.image[len(m.image)-1].conv
				pw = &pendingWeights{i, l.ClassName, c.Name, &c.matmul, []int{c.KH, c.KW, c.C, c.F}}
			}
		case "MaxPooling2D":
			if len(shape) != 3 || shape[0] < 2 || shape[1] < 2 || len(m.dense) > 0 {
				return nil, fmt.Errorf("layer %d (MaxPooling2D) gets shape %v; want an image of at least 2×2", i, shape)
			}
			m.image = append(m.image, imageStage{pool: &pool{Name: l.Config.Name, H: shape[0], W: shape[1], C: shape[2]}})
			shape = []int{shape[0] / 2, shape[1] / 2, shape[2]}
		case "Flatten":
			shape = []int{tensor.Numel(shape)}
		case "QuantizedDense":
			if shape, cur, err = m.addDense(l.Config, shape, cur, i == len(ls)-1); err == nil {
				d := m.dense[len(m.dense)-1]
				pw = &pendingWeights{i, l.ClassName, d.Name, &d.matmul, []int{d.Inputs, d.Units}}
			}
		default:
			return nil, fmt.Errorf("layer %d has class %q; want QuantizedConv2D, MaxPooling2D, Flatten or QuantizedDense", i, l.ClassName)
		}
		if pw != nil {
			err = checkTensors(pw.name, bs, pw.shape)
			weights = append(weights, *pw)
		}
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s %q): %v", i, l.ClassName, l.Config.Name, err)
		}
	}
	return weights, nil
}

func checkShape(s []int, what string) error {
	n := 1
	for _, d := range s {
		if d < 1 || d > maxValues || n > maxValues/d {
			return fmt.Errorf("%s %v is not a shape of at most %d positive values", what, s, maxValues)
		}
		n *= d
	}
	if len(s) == 0 {
		return fmt.Errorf("%s is empty", what)
	}
	return nil
}

func checkParams(p params, what string) error {
	if !(p.Scale > 0) || math.IsInf(float64(p.Scale), 0) {
		return fmt.Errorf("%s has scale %v; want a positive finite scale", what, p.Scale)
	}
	return nil
}

// checkTensors checks that a layer's kernel, scales and bias are in the
// file with the dtypes and shapes its layer needs (the kernel's is shape),
// without decoding them.
func checkTensors(name string, bs map[string]safetensors.Raw, shape []int) error {
	kb, ok1 := bs[name+"/kernel"]
	sb, ok2 := bs[name+"/kernel_scale"]
	bb, ok3 := bs[name+"/bias"]
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("the file lacks %s/kernel, %s/kernel_scale or %s/bias", name, name, name)
	}
	if !slices.Equal(kb.Shape, shape) {
		return fmt.Errorf("tensor %s/kernel has shape %v; want %v", name, kb.Shape, shape)
	}
	// The shape is the tensor's, whose bytes the file holds: no overflow.
	n, f := tensor.Numel(shape), shape[len(shape)-1]
	if err := checkTensor(kb, "I8", n); err != nil {
		return err
	}
	if err := checkTensor(sb, "F32", f); err != nil {
		return err
	}
	return checkTensor(bb, "F32", f)
}

// loadWeights decodes a layer's kernel, scales and bias, checked by
// checkTensors.
func (mm *matmul) loadWeights(name string, bs map[string]safetensors.Raw) error {
	mm.W = int8s(bs[name+"/kernel"])
	var err error
	if mm.WScale, err = float32s(bs[name+"/kernel_scale"]); err != nil {
		return err
	}
	for j, s := range mm.WScale {
		if !(s > 0) {
			return fmt.Errorf("tensor %s/kernel_scale holds %v at %d; want positive scales", name, s, j)
		}
	}
	mm.Bias, err = float32s(bs[name+"/bias"])
	return err
}

func (m *Model) addConv(c fileConfig, shape []int, in params) ([]int, params, error) {
	if len(shape) != 3 || len(m.dense) > 0 {
		return nil, in, fmt.Errorf("gets shape %v; want an image (height, width, channels)", shape)
	}
	if len(c.KernelSize) != 2 || len(c.Strides) != 2 || len(c.Padding) != 4 || c.Output == nil {
		return nil, in, fmt.Errorf("needs kernel_size and strides pairs, four paddings and an output")
	}
	cv := &conv{Name: c.Name, From: c.From, KH: c.KernelSize[0], KW: c.KernelSize[1], C: shape[2], F: c.Filters,
		SH: c.Strides[0], SW: c.Strides[1], PT: c.Padding[0], PB: c.Padding[1], PL: c.Padding[2], PR: c.Padding[3], InH: shape[0], InW: shape[1]}
	for _, v := range []int{cv.KH, cv.KW, cv.F, cv.SH, cv.SW, cv.PT + 1, cv.PB + 1, cv.PL + 1, cv.PR + 1} {
		if v < 1 || v > 1<<16 {
			return nil, in, fmt.Errorf("kernel_size, filters and strides must be 1 to 65536 and paddings 0 to 65535")
		}
	}
	cv.hp, cv.wp = cv.InH+cv.PT+cv.PB, cv.InW+cv.PL+cv.PR
	if cv.hp < cv.KH || cv.wp < cv.KW || cv.hp*cv.wp > maxValues/max(cv.C, cv.F) {
		return nil, in, fmt.Errorf("a %dx%d kernel does not fit the padded %dx%d image, or the image is too large", cv.KH, cv.KW, cv.hp, cv.wp)
	}
	cv.oh, cv.ow = (cv.hp-cv.KH)/cv.SH+1, (cv.wp-cv.KW)/cv.SW+1
	cv.ReLU, cv.In, cv.Out = c.ReLU, in, fromFile(*c.Output)
	if err := checkParams(cv.Out, "its output"); err != nil {
		return nil, in, err
	}
	m.image = append(m.image, imageStage{conv: cv})
	return []int{cv.oh, cv.ow, cv.F}, cv.Out, nil
}

func (m *Model) addDense(c fileConfig, shape []int, in params, last bool) ([]int, params, error) {
	if len(shape) != 1 || c.Units < 1 || c.Units > 1<<20 || shape[0] > maxValues/c.Units {
		return nil, in, fmt.Errorf("gets shape %v with %d units; want a vector (Flatten first) and 1 to 2^20 units", shape, c.Units)
	}
	if last == (c.Output != nil) || (c.Softmax && !last) {
		return nil, in, fmt.Errorf("the last QuantizedDense, and only it, has float outputs (no output quantization) and may have softmax")
	}
	d := &dense{Name: c.Name, From: c.From, Inputs: shape[0], Units: c.Units, Softmax: c.Softmax}
	d.ReLU, d.In = c.ReLU, in
	if !last {
		d.Out = fromFile(*c.Output)
		if err := checkParams(d.Out, "its output"); err != nil {
			return nil, in, err
		}
	}
	m.dense = append(m.dense, d)
	return []int{d.Units}, d.Out, nil
}
