package studio

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/imagefolder"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// petNames are the classes of the test's colour model.
var petNames = []string{"cat", "dog", "bird"}

// saveNamed builds the layers (seed 5), names the classes (nil: none) and
// saves the model as dir/name.safetensors, a model of the runs folder.
func saveNamed(t *testing.T, dir, name string, names []string, ls ...layers.Layer) *goras.Model {
	t.Helper()
	m := goras.NewSequential(ls...)
	m.SetSeed(5)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if err := m.SetClassNames(names); err != nil {
		t.Fatal(err)
	}
	if err := saving.Save(m, filepath.Join(dir, name+".safetensors")); err != nil {
		t.Fatal(err)
	}
	return m
}

// petModel is a small convolutional model of 12×16 RGB pictures (not
// square, so that a height and width swapped would show) into petNames.
func petModel(t *testing.T, dir string) *goras.Model {
	return saveNamed(t, dir, "pets", petNames, layers.Input(12, 16, 3),
		layers.Conv2D(4, 3, layers.WithActivation("relu")), // 10×14×4
		layers.Flatten(), layers.Dense(3, layers.WithActivation("softmax")))
}

// colourPicture is a w×h picture whose three channels vary differently
// across it, so that any mix-up of rows, columns or channels changes it.
func colourPicture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(255 * x / w), uint8(255 * y / h), uint8((37*x + 91*y) % 256), 255})
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// resized is what goras predict gives the model: the picture read by
// imagefolder.LoadImage at the model's input, and Predict's probabilities.
func resized(t *testing.T, m *goras.Model, pic []byte, h, w int, mode string) ([]float32, []float32) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "picture")
	if err := os.WriteFile(path, pic, 0o644); err != nil {
		t.Fatal(err)
	}
	px, err := imagefolder.LoadImage(path, imagefolder.ImageSize(h, w), imagefolder.ColorMode(mode))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromSlice(px, append([]int{1}, m.InputShape()...)...)
	p, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	return px, p.Data()
}

// The models listing says how each model takes pictures.
func TestPictureInputs(t *testing.T) {
	ts := newTestServer(t, Options{})
	saveNetwork(t, ts.dir, "lenet5", "digits.safetensors")
	petModel(t, ts.dir)
	dense := func(n int) layers.Layer { return layers.Dense(n, layers.WithActivation("softmax")) }
	saveNamed(t, ts.dir, "clothes", fashionmnist.ClassNames(), layers.Input(28, 28), layers.Flatten(), dense(10))
	saveNamed(t, ts.dir, "flatclothes", fashionmnist.ClassNames(), layers.Input(784), dense(10))
	saveNamed(t, ts.dir, "big", nil, layers.Input(64, 64, 1), layers.Flatten(), dense(5))
	saveNamed(t, ts.dir, "vector", nil, layers.Input(10), dense(3))
	var list []modelJSON
	ts.getJSON(t, "/api/models", &list)
	want := map[string]string{ // height×width×channels mode digit draw test_set
		"digits":      "28×28×1 grayscale true true mnist",
		"pets":        "12×16×3 rgb false false -",
		"clothes":     "28×28×1 grayscale false true fashion_mnist",
		"flatclothes": "28×28×1 grayscale false true fashion_mnist",
		"big":         "64×64×1 grayscale false false -",
	}
	for _, m := range list {
		if m.Name == "vector" {
			if m.Pictures != nil || !strings.Contains(m.PicturesError, "not pictures") {
				t.Errorf("vector: pictures %+v, error %q", m.Pictures, m.PicturesError)
			}
			continue
		}
		p := m.Pictures
		if p == nil {
			t.Errorf("%s: no pictures: %s", m.Name, m.PicturesError)
			continue
		}
		ts := p.TestSet
		if ts == "" {
			ts = "-"
		}
		got := strings.Join([]string{itoa3(p.Height, p.Width, p.Channels), p.ColorMode, boolStr(p.Digit), boolStr(p.Draw), ts}, " ")
		if got != want[m.Name] {
			t.Errorf("%s: %s, want %s", m.Name, got, want[m.Name])
		}
	}
	names := map[string][]string{}
	for _, m := range list {
		names[m.Name] = m.ClassNames
	}
	if names["digits"] != nil || !slices.Equal(names["pets"], petNames) || !slices.Equal(names["clothes"], fashionmnist.ClassNames()) {
		t.Errorf("class names: %v", names)
	}
}

func itoa3(a, b, c int) string {
	s, _ := json.Marshal([]int{a, b, c})
	return strings.NewReplacer("[", "", "]", "", ",", "×").Replace(string(s))
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// A colour model reads a picture resized to its input, as goras predict
// does, and answers with its class names.
func TestPredictColourModel(t *testing.T) {
	ts := newTestServer(t, Options{})
	m := petModel(t, ts.dir)
	pic := encodePNG(t, colourPicture(40, 30))
	px, probs := resized(t, m, pic, 12, 16, "rgb")
	code, b := ts.do(t, "POST", "/api/predict?model=pets&top=3&file=pet.png", bytes.NewReader(pic), "Content-Type", "image/png")
	var preds []predict.Prediction
	if err := json.Unmarshal(b, &preds); code != 200 || err != nil || len(preds) != 1 {
		t.Fatalf("predict: %d %s", code, b)
	}
	want := predict.Top("pet.png", probs, 3).WithClassNames(petNames)
	if p := preds[0]; p.Class != want.Class || p.ClassName != petNames[want.Class] || !slices.Equal(p.Top, want.Top) {
		t.Errorf("prediction %+v, want %+v (Predict on the picture as imagefolder.LoadImage reads it)", p, want)
	}
	if !strings.Contains(string(b), `"class_name":"`+petNames[want.Class]+`"`) {
		t.Errorf("the JSON has no class_name: %s", b)
	}

	// The Draw page's endpoint: the same numbers, the picture as seen.
	var res drawResult
	code, b = ts.do(t, "POST", "/api/draw?model=pets&file=pet.png", bytes.NewReader(pic))
	if err := json.Unmarshal(b, &res); code != 200 || err != nil {
		t.Fatalf("draw: %d %s", code, b)
	}
	if !slices.Equal(res.Input, px) || !slices.Equal(res.InputShape, []int{12, 16, 3}) || !slices.Equal(res.Probabilities, probs) {
		t.Errorf("draw: input %d values of shape %v, probabilities %v; want %d values of (12, 16, 3), %v", len(res.Input), res.InputShape, res.Probabilities, len(px), probs)
	}
	if res.Class != want.Class || res.ClassName != petNames[want.Class] || !slices.Equal(res.ClassNames, petNames) {
		t.Errorf("draw: class %d %q, names %v", res.Class, res.ClassName, res.ClassNames)
	}
	if len(res.Layers) != 1 || res.Layers[0].H != 10 || res.Layers[0].W != 14 || res.Layers[0].C != 4 {
		t.Errorf("draw: feature layers %+v, want one of 10×14×4", res.Layers)
	}

	// A JPEG among others in one multipart request, read the same way.
	var jp bytes.Buffer
	if err := jpeg.Encode(&jp, colourPicture(33, 50), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, data := range map[string][]byte{"a.png": pic, "b.jpg": jp.Bytes()} {
		fw, _ := mw.CreateFormFile("image", name)
		fw.Write(data)
	}
	mw.Close()
	code, b = ts.do(t, "POST", "/api/predict?model=pets", &body, "Content-Type", mw.FormDataContentType())
	if err := json.Unmarshal(b, &preds); code != 200 || err != nil || len(preds) != 2 {
		t.Fatalf("multipart: %d %s", code, b)
	}
	_, probsJ := resized(t, m, jp.Bytes(), 12, 16, "rgb")
	for _, p := range preds {
		if p.File == "b.jpg" && (p.Top[0].Probability != probsJ[p.Class] || p.Class != tensor.ArgMaxRow(probsJ)) {
			t.Errorf("JPEG: %+v, want class %d with %v", p, tensor.ArgMaxRow(probsJ), probsJ)
		}
	}
}

// A picture of one colour stays that colour, whatever its size: the
// model sees (r, g, b)/255 in every pixel, in RGB order.
func TestColourPictureSeen(t *testing.T) {
	ts := newTestServer(t, Options{})
	petModel(t, ts.dir)
	img := image.NewNRGBA(image.Rect(0, 0, 50, 7))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []uint8{200, 30, 90, 255})
	}
	var res drawResult
	code, b := ts.do(t, "POST", "/api/draw?model=pets", bytes.NewReader(encodePNG(t, img)))
	if err := json.Unmarshal(b, &res); code != 200 || err != nil || len(res.Input) != 12*16*3 {
		t.Fatalf("draw: %d %.300s", code, b)
	}
	for i, v := range res.Input {
		if want := float32([]int{200, 30, 90}[i%3]) / 255; v != want {
			t.Fatalf("value %d (channel %d) is %v, want %v", i, i%3, v, want)
		}
	}
}

// A model carrying Fashion-MNIST's names is judged on Fashion-MNIST's
// test set, and the Look page's answers name the classes.
func TestLookFashion(t *testing.T) {
	fashion := fakeDigits(60, 11)
	ts := newTestServer(t, Options{LoadFashion: func(context.Context) (mnist.Dataset, mnist.Dataset, error) {
		return fakeDigits(20, 10), fashion, nil
	}})
	names := fashionmnist.ClassNames()
	m := saveNamed(t, ts.dir, "clothes", names, layers.Input(28, 28), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	probs, err := m.Predict(fashion.X, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	pred := tensor.ArgMax(probs)
	var conf struct {
		Counts     [][]int  `json:"counts"`
		Total      int      `json:"total"`
		ClassNames []string `json:"class_names"`
		TestSet    string   `json:"test_set"`
	}
	ts.getJSON(t, "/api/look/confusion?model=clothes", &conf)
	if conf.Total != 60 || conf.TestSet != "fashion_mnist" || !slices.Equal(conf.ClassNames, names) {
		t.Fatalf("confusion: total %d on %q, names %v; want 60 on fashion_mnist, %v", conf.Total, conf.TestSet, conf.ClassNames, names)
	}
	want := make([][]int, 10)
	for k := range want {
		want[k] = make([]int, 10)
	}
	for i, y := range fashion.Y {
		want[y][pred[i]]++
	}
	for k := range want {
		if !slices.Equal(conf.Counts[k], want[k]) {
			t.Fatalf("confusion row %d = %v, want %v", k, conf.Counts[k], want[k])
		}
	}
	var grid struct {
		Digits []digitJSON `json:"digits"`
	}
	ts.getJSON(t, "/api/look/digits?model=clothes&offset=7&count=3", &grid)
	d := grid.Digits[0]
	if d.Index != 7 || d.Predicted != pred[7] || d.LabelName != names[fashion.Y[7]] || d.PredictedName != names[pred[7]] {
		t.Errorf("picture 7: %+v, want label %q, read %q", d, names[fashion.Y[7]], names[pred[7]])
	}
	// A digit model has no names: the fields are left out or null.
	saveNetwork(t, ts.dir, "mlp", "digits.safetensors")
	code, b := ts.do(t, "GET", "/api/look/digits?model=digits&count=1", nil)
	if code != 200 || !strings.Contains(string(b), `"class_names":null`) || strings.Contains(string(b), "label_name") || !strings.Contains(string(b), `"test_set":"mnist"`) {
		t.Errorf("digit model: %d %.300s", code, b)
	}
}

// What the studio cannot do with a model says why, never a wrong answer.
func TestPictureModelRefusals(t *testing.T) {
	ts := newTestServer(t, Options{})
	petModel(t, ts.dir)
	saveNamed(t, ts.dir, "vector", nil, layers.Input(10), layers.Dense(3, layers.WithActivation("softmax")))
	pic := encodePNG(t, colourPicture(20, 20))
	for _, path := range []string{"/api/look/confusion", "/api/look/digits", "/api/look/mistakes", "/api/look/cell?true=0&pred=1"} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		code, b := ts.do(t, "GET", path+sep+"model=pets", nil)
		wantError(t, path, code, b, http.StatusUnprocessableEntity, `"pets" reads 12×16 RGB pictures`, "(cat, dog, bird)", "the Look page", "Draw page")
	}
	code, b := ts.do(t, "GET", "/api/learn/descent?model=pets&param=dense/kernel", nil)
	wantError(t, "descent", code, b, http.StatusUnprocessableEntity, "the loss along a weight", "cat, dog, bird")
	code, b = ts.do(t, "POST", "/api/runs", strings.NewReader(`{"from_model": "pets", "epochs": 1}`), "Content-Type", "application/json")
	wantError(t, "train from pets", code, b, http.StatusUnprocessableEntity, "names its classes (cat, dog, bird)", "--data")
	code, b = ts.do(t, "POST", "/api/predict?model=vector", bytes.NewReader(pic))
	wantError(t, "predict with a vector model", code, b, http.StatusUnprocessableEntity, "(None, 10), not pictures")
	code, b = ts.do(t, "POST", "/api/draw?model=vector", bytes.NewReader(pic))
	wantError(t, "draw with a vector model", code, b, http.StatusUnprocessableEntity, "not pictures")
	code, b = ts.do(t, "POST", "/api/draw?model=pets&file=x.png", strings.NewReader("not a picture"))
	wantError(t, "draw: text", code, b, http.StatusUnsupportedMediaType, "x.png is not a PNG, JPEG or GIF")
}

// The first layer's weights of a Dense model on 64×64 grey pictures are
// 64×64 pictures.
func TestLookWeightsBigPictures(t *testing.T) {
	ts := newTestServer(t, Options{})
	m := saveNamed(t, ts.dir, "big", nil, layers.Input(64, 64, 1), layers.Flatten(), layers.Dense(5, layers.WithActivation("softmax")))
	var w struct {
		Images []kernelImage `json:"images"`
	}
	ts.getJSON(t, "/api/look/weights?model=big", &w)
	k := m.Params()[0].Value.Data() // (4096, 5)
	if len(w.Images) != 5 || w.Images[3].H != 64 || w.Images[3].W != 64 || w.Images[3].Values[1000] != k[1000*5+3] {
		t.Fatalf("%d images, want 5 of 64×64 holding the kernel's columns", len(w.Images))
	}
}
