package studio

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestModelsListInspectDownload(t *testing.T) {
	ts := newTestServer(t, Options{})
	_, path := saveNetwork(t, ts.dir, "lenet5", "lenet.safetensors")
	var list []modelJSON
	ts.getJSON(t, "/api/models", &list)
	if len(list) != 1 || list[0].Name != "lenet" || list[0].Params != 61706 || list[0].Source != "run" || list[0].Input[2] != 1 {
		t.Fatalf("models: %+v", list)
	}
	var ins struct {
		Summary string      `json:"summary"`
		Graph   []graphNode `json:"graph"`
	}
	ts.getJSON(t, "/api/models/lenet", &ins)
	if !strings.Contains(ins.Summary, "61,706") || len(ins.Graph) != 9 || ins.Graph[0].Class != "InputLayer" {
		t.Errorf("inspect: %d nodes, summary:\n%s", len(ins.Graph), ins.Summary)
	}
	for i, n := range ins.Graph[1:] {
		if len(n.Inputs) != 1 || n.Inputs[0] != i {
			t.Errorf("node %d (%s) reads %v, want [%d]: LeNet-5 is a chain", n.ID, n.Name, n.Inputs, i)
		}
	}
	if ins.Graph[1].Params != 156 || ins.Graph[1].Shape[2] != 6 {
		t.Errorf("first conv: %+v, want 156 params and 6 maps", ins.Graph[1])
	}
	code, b := ts.do(t, "GET", "/api/models/lenet/file", nil)
	want, _ := os.ReadFile(path)
	if code != 200 || !bytes.Equal(b, want) {
		t.Errorf("download: %d, %d bytes, want the file's %d", code, len(b), len(want))
	}
}

// An ONNX file uploads as a model of goras layers: the studio's pages and
// API then use it as any other.
func TestUploadONNX(t *testing.T) {
	ts := newTestServer(t, Options{})
	file, err := os.ReadFile("../onnx/testdata/lenet5_opset17.onnx")
	if err != nil {
		t.Fatal(err)
	}
	code, b := ts.do(t, "POST", "/api/models?name=torch&filename=lenet5.onnx", bytes.NewReader(file))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, b)
	}
	var list []modelJSON
	ts.getJSON(t, "/api/models", &list)
	if len(list) != 1 || list[0].Name != "torch" || list[0].Params != 61706 {
		t.Errorf("after the ONNX upload: %+v", list)
	}
}

func TestUpload(t *testing.T) {
	ts := newTestServer(t, Options{})
	src := t.TempDir()
	_, path := saveNetwork(t, src, "mlp", "x.safetensors")
	file, _ := os.ReadFile(path)
	code, b := ts.do(t, "POST", "/api/models?name=mine&filename=x.safetensors", bytes.NewReader(file))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, b)
	}
	var list []modelJSON
	ts.getJSON(t, "/api/models", &list)
	if len(list) != 1 || list[0].Name != "mine" || list[0].Source != "upload" || list[0].Params != 39760 {
		t.Errorf("after upload: %+v", list)
	}
	var runs []runJSON
	ts.getJSON(t, "/api/runs", &runs)
	if len(runs) != 1 || runs[0].Source != "upload" || runs[0].State != stateSaved {
		t.Errorf("the upload as a run: %+v", runs)
	}
	broken := append([]byte{}, file...)
	broken = broken[:len(broken)-100] // weights cut short
	cases := []struct {
		what, query string
		body        io.Reader
		code        int
		says        string
	}{
		{"taken name", "name=mine", bytes.NewReader(file), 409, "exists already"},
		{"bad name", "name=../x", bytes.NewReader(file), 400, "not valid"},
		{"no name", "", bytes.NewReader(file), 400, "not valid"},
		{"not onnx", "name=o&filename=m.onnx", strings.NewReader("onnx"), 422, "m.onnx does not import as a goras model"},
		{"not safetensors", "name=t", strings.NewReader("just some text, not a model"), 415, "not a .safetensors file"},
		{"truncated", "name=t", bytes.NewReader(broken), 422, "not a goras model file"},
		{"too big", "name=big", io.MultiReader(bytes.NewReader(file[:9]), io.LimitReader(zeros{}, 65<<20)), 413, "64 MB"},
	}
	for _, c := range cases {
		code, b := ts.do(t, "POST", "/api/models?"+c.query, c.body)
		wantError(t, c.what, code, b, c.code, c.says)
	}
	entries, _ := os.ReadDir(ts.dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("refused uploads left files: %v", names)
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestFlagModel(t *testing.T) {
	src := t.TempDir()
	_, path := saveNetwork(t, src, "mlp", "given.safetensors")
	ts := newTestServer(t, Options{Model: path})
	var cur map[string]string
	ts.getJSON(t, "/api/current", &cur)
	if cur["model"] != "given" {
		t.Errorf("current = %v, want the --model file's name", cur)
	}
	var list []modelJSON
	ts.getJSON(t, "/api/models", &list)
	if len(list) != 1 || list[0].Source != "flag" || !list[0].Current {
		t.Errorf("models: %+v", list)
	}
	os.WriteFile(src+"/bad.safetensors", []byte("nope"), 0o644)
	if _, err := New(Options{Dir: t.TempDir(), Model: src + "/bad.safetensors"}); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("a --model that does not load: %v", err)
	}
}
