package onnx

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// maxFileSize is the largest ONNX file Load reads: protobuf's own limit
// for one message, 2 GiB.
const maxFileSize = 2 << 30

// Load reads the ONNX model file at path and returns it as a goras model:
// a graph model of ordinary layers (Dense, Conv2D, BatchNormalization, ...)
// holding the file's weights, which Summary describes, Predict runs, Fit
// fine-tunes, saving.Save writes and Export writes back as ONNX. See the
// package documentation for the operators it maps, and the layout of
// images (channels last). An operator it does not map is an error naming
// the node and what is supported; nothing is guessed.
func Load(path string) (*goras.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	defer f.Close()
	// A device or a pipe (a link to /dev/zero, a FIFO) would be read until
	// the 2 GiB limit, or forever: only a regular file is a model file.
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("onnx: %s is not a regular file (its mode is %v); name an .onnx model file", path, st.Mode())
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("onnx: %s: %d bytes is larger than 2 GiB, protobuf's limit; a larger model keeps its weights in external files, which goras does not read", path, st.Size())
	}
	m, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Decode reads an ONNX model (a ModelProto in protobuf's binary form, as
// Encode writes and .onnx files hold) from r; see Load.
func Decode(r io.Reader) (*goras.Model, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("onnx: reading the model: %w", err)
	}
	if int64(len(b)) > maxFileSize {
		return nil, fmt.Errorf("onnx: the model is larger than 2 GiB, protobuf's limit; a larger model keeps its weights in external files, which goras does not read")
	}
	return DecodeBytes(b)
}

// DecodeBytes is Decode for a model already in memory.
func DecodeBytes(b []byte) (*goras.Model, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, fmt.Errorf("onnx: not an ONNX model (a ModelProto in protobuf's binary form): %w", err)
	}
	return fromProto(&mp)
}

// Importable lists the ONNX operators Load maps to goras layers (or works
// out while loading, for shapes and constants), sorted.
func Importable() []string {
	names := make([]string, 0, len(importers))
	for n := range importers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Opsets Load reads: the versions of the default operator set whose
// operators it knows.
const (
	minOpset = 7
	maxOpset = 21
)

// fromProto checks the model's header and imports its graph.
func fromProto(mp *onnxpb.ModelProto) (*goras.Model, error) {
	opset := 0
	for _, o := range mp.GetOpsetImport() {
		switch o.GetDomain() {
		case "", "ai.onnx":
			opset = int(o.GetVersion())
		}
	}
	switch {
	case mp.GetGraph() == nil:
		return nil, fmt.Errorf("onnx: the model has no graph")
	case len(mp.GetFunctions()) > 0:
		return nil, fmt.Errorf("onnx: the model defines functions (%s), which goras does not import", mp.GetFunctions()[0].GetName())
	case opset == 0 && mp.GetIrVersion() >= 3:
		return nil, fmt.Errorf("onnx: the model imports no version of the default operator set (ai.onnx); goras reads opsets %d to %d", minOpset, maxOpset)
	case opset == 0:
		opset = minOpset // IR versions before 3 had no opset imports
	}
	if opset < minOpset || opset > maxOpset {
		return nil, fmt.Errorf("onnx: the model uses opset %d; goras reads opsets %d to %d (convert it with onnx.version_converter)", opset, minOpset, maxOpset)
	}
	im := newImporter(mp.GetGraph(), opset)
	m, err := im.run()
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return m, nil
}

// unsupported is the error for an operator Load does not map.
func unsupported(n *onnxpb.NodeProto) error {
	return fmt.Errorf("node %s: operator %s is not supported; goras imports %s", nodeName(n), opName(n), strings.Join(Importable(), ", "))
}

// nodeName names a node for an error: its name, or its first output.
func nodeName(n *onnxpb.NodeProto) string {
	if n.GetName() != "" {
		return fmt.Sprintf("%q", n.GetName())
	}
	if len(n.GetOutput()) > 0 {
		return fmt.Sprintf("making %q", n.GetOutput()[0])
	}
	return "(unnamed)"
}

func opName(n *onnxpb.NodeProto) string {
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return d + "." + n.GetOpType()
	}
	return n.GetOpType()
}
