package infer

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/saving"
)

// TestMain initializes Beam; its pipelines run on prism, in this process.
func TestMain(m *testing.M) { ptest.Main(m) }

// trainedMLP is the course's MLP trained for one epoch on 2,000 images,
// saved in dir as a goras model file and as ONNX.
func trainedMLP(t *testing.T, dir string, train mnist.Dataset) (model, onnxFile string) {
	t.Helper()
	m := goras.NewSequential(applications.MLP()...)
	m.SetSeed(5)
	adam, err := optimizers.NewAdam()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	n := 2000
	if _, err := m.Fit(context.Background(), train.X.Slice(0, n), train.Y[:n], goras.BatchSize(50), goras.Verbose(0)); err != nil {
		t.Fatal(err)
	}
	model, onnxFile = filepath.Join(dir, "mlp.safetensors"), filepath.Join(dir, "mlp.onnx")
	if err := saving.Save(m, model); err != nil {
		t.Fatal(err)
	}
	if err := onnx.Export(m, onnxFile); err != nil {
		t.Fatal(err)
	}
	return model, onnxFile
}

// writeIDX writes images as a raw IDX3 file.
func writeIDX(t *testing.T, path string, im *mnist.Images) {
	t.Helper()
	var b bytes.Buffer
	for _, v := range []uint32{0x803, uint32(im.N), uint32(im.Rows), uint32(im.Cols)} {
		binary.Write(&b, binary.BigEndian, v)
	}
	b.Write(im.Pixels[:im.N*im.Rows*im.Cols])
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// want is what goras itself predicts for x, named names: Predict on the
// whole set at once, predict.Top and json.Marshal per row, as `goras
// predict --json` does; the lines sorted by name, as Write sorts them.
func want(t *testing.T, m *goras.Model, x goras.Data, names []string) string {
	t.Helper()
	probs, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	classes := m.OutputShape()[0]
	lines := map[string]string{}
	for i, name := range names {
		b, err := json.Marshal(predict.Top(name, probs.Data()[i*classes:(i+1)*classes], 3))
		if err != nil {
			t.Fatal(err)
		}
		lines[name] = string(b)
	}
	sort.Strings(names)
	var out strings.Builder
	for _, n := range names {
		out.WriteString(lines[n] + "\n")
	}
	return out.String()
}

func sameFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) == want {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(want, "\n")
	if len(g) != len(w) {
		t.Fatalf("%s: %d lines, want %d", path, len(g)-1, len(w)-1)
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("%s line %d:\n got %s\nwant %s", path, i+1, g[i], w[i])
		}
	}
}

// The 10,000 test images, as two IDX shards, predicted by the pipeline on
// prism with a goras model file and with its ONNX export: every line equals
// goras's own prediction of the same image, byte for byte.
func TestPredictTestSetFromIDXShards(t *testing.T) {
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model, onnxFile := trainedMLP(t, dir, train)
	shards := []string{filepath.Join(dir, "test-a.idx"), filepath.Join(dir, "test-b.idx")}
	writeIDX(t, shards[0], test.X.Slice(0, 5000))
	writeIDX(t, shards[1], test.X.Slice(5000, 10000))
	var names []string
	for i := 0; i < 10000; i++ {
		names = append(names, fmt.Sprintf("%s#%05d", shards[i/5000], i%5000))
	}
	for _, file := range []string{model, onnxFile} {
		out := filepath.Join(dir, filepath.Base(file)+".jsonl")
		bad, err := Run(context.Background(), Options{Model: file, IDX: shards, Out: out})
		if err != nil || len(bad) > 0 {
			t.Fatalf("%s: %v %v", file, err, bad)
		}
		m, err := LoadModel(context.Background(), file)
		if err != nil {
			t.Fatal(err)
		}
		sameFile(t, out, want(t, m, test.X, append([]string(nil), names...)))
	}
}

// Pictures predicted by the pipeline give `goras predict --json`'s objects
// (mnist.LoadImage, Predict, predict.Top), in three output shards; a file
// that is no picture is listed with goras predict's message, the others
// still predicted.
func TestPredictPictureFiles(t *testing.T) {
	train, _, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model, _ := trainedMLP(t, dir, train)
	var files []string
	for i := 0; i < 40; i++ {
		files = append(files, writePNG(t, dir, i, train.X.Image(50000+i)))
	}
	notPicture := filepath.Join(dir, "notes.png")
	os.WriteFile(notPicture, []byte("not a picture"), 0o644)
	out := filepath.Join(dir, "pictures.jsonl")
	bad, err := Run(context.Background(), Options{Model: model, Files: append(files, notPicture), Out: out, Shards: 3, BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	_, wantErr := mnist.LoadImage(notPicture)
	if len(bad) != 1 || bad[0] != strings.TrimPrefix(wantErr.Error(), "mnist: ") {
		t.Errorf("bad pictures %q, want goras predict's %q", bad, wantErr)
	}
	x, err := mnist.LoadImages(files...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	all := want(t, m, x, append([]string(nil), files...))
	var got strings.Builder
	for s := 0; s < 3; s++ {
		b, err := os.ReadFile(ShardPath(out, s, 3))
		if err != nil {
			t.Fatal(err)
		}
		got.Write(b)
	}
	gotLines := strings.Split(strings.TrimSpace(got.String()), "\n")
	sort.Strings(gotLines)
	wantLines := strings.Split(strings.TrimSpace(all), "\n")
	sort.Strings(wantLines)
	if strings.Join(gotLines, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("the shards hold\n%s\nwant\n%s", strings.Join(gotLines, "\n"), strings.Join(wantLines, "\n"))
	}
}

// writePNG writes an MNIST digit as a PNG picture, dark ink on white paper
// as people draw, and returns its path.
func writePNG(t *testing.T, dir string, i int, px []uint8) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for k, v := range px {
		img.Pix[k] = 255 - v
	}
	path := filepath.Join(dir, fmt.Sprintf("digit-%02d.png", i))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// A run writes only the shards some name hashes to, so the shards of an
// earlier run into the same file (more pictures then, or the same ones
// when every picture of this run is bad) were left in place and read as
// this run's predictions. A run must leave none of them.
func TestRunLeavesNoStaleShards(t *testing.T) {
	dir := t.TempDir()
	m := goras.NewSequential(applications.MLP()...)
	m.SetSeed(1)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "mlp.safetensors")
	if err := saving.Save(m, model); err != nil {
		t.Fatal(err)
	}
	px := make([]uint8, 28*28)
	for i := 8; i < 20; i++ {
		px[i*28+14] = 255 // a stroke: a "1"
	}
	digit := writePNG(t, dir, 0, px)
	notPicture := filepath.Join(dir, "notes.png")
	os.WriteFile(notPicture, []byte("not a picture"), 0o644)
	for _, c := range []struct {
		files       []string
		shards, bad int
	}{{[]string{digit}, 4, 0}, {[]string{notPicture}, 1, 1}} {
		out := filepath.Join(dir, fmt.Sprintf("out-%d.jsonl", c.shards))
		for s := 0; s < c.shards; s++ {
			os.WriteFile(ShardPath(out, s, c.shards), []byte(`{"file": "stale.png", "class": 4}`+"\n"), 0o644)
		}
		bad, err := Run(context.Background(), Options{Model: model, Files: c.files, Out: out, Shards: c.shards})
		if err != nil || len(bad) != c.bad {
			t.Fatalf("pictures %v: bad %q, error %v", c.files, bad, err)
		}
		for s := 0; s < c.shards; s++ {
			if b, err := os.ReadFile(ShardPath(out, s, c.shards)); err == nil && strings.Contains(string(b), "stale.png") {
				t.Errorf("pictures %v: shard %s still holds the earlier run's %q", c.files, ShardPath(out, s, c.shards), b)
			}
		}
	}
}

// An output file that cannot be written (its directory is a regular file)
// used to be found only when every digit had been read and predicted: Run
// must refuse it first.
func TestRunRefusesUnwritableOut(t *testing.T) {
	dir := t.TempDir()
	m := goras.NewSequential(applications.MLP()...)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "mlp.safetensors")
	if err := saving.Save(m, model); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	out := filepath.Join(file, "predictions.jsonl")
	_, err := Run(context.Background(), Options{Model: model, Files: []string{writePNG(t, dir, 0, make([]uint8, 28*28))}, Out: out})
	if err == nil || !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), "nothing was predicted") {
		t.Errorf("output under a regular file: error %v, want one naming %s before predicting", err, out)
	}
}
