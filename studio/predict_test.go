package studio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/tensor"
)

// direct is what the model says about a picture without the studio:
// mnist.PrepareImage, then Predict.
func direct(t *testing.T, m *goras.Model, pic []byte) ([]float32, []float32) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pic))
	if err != nil {
		t.Fatal(err)
	}
	px, err := mnist.PrepareImage(img)
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

func TestPredict(t *testing.T) {
	ts := newTestServer(t, Options{})
	m, _ := saveNetwork(t, ts.dir, "lenet5", "five.safetensors")
	test := fakeDigits(10, 9)
	pic := digitPNG(t, test, 3)
	_, probs := direct(t, m, pic)
	code, b := ts.do(t, "POST", "/api/predict?model=five&top=2&file=three.png", bytes.NewReader(pic), "Content-Type", "image/png")
	if code != 200 {
		t.Fatalf("predict: %d %s", code, b)
	}
	// The JSON of goras predict --json: an array, one object per picture.
	var preds []predict.Prediction
	if err := json.Unmarshal(b, &preds); err != nil || len(preds) != 1 {
		t.Fatalf("answer %s: %v", b, err)
	}
	p := preds[0]
	want := predict.Top("three.png", probs, 2)
	if p.File != "three.png" || p.Class != tensor.ArgMaxRow(probs) || len(p.Top) != 2 || p.Top[0] != want.Top[0] || p.Top[1] != want.Top[1] {
		t.Errorf("prediction %+v, want %+v (from Predict directly)", p, want)
	}
	if !strings.Contains(string(b), `"file":"three.png","class":`) || !strings.Contains(string(b), `"top":[{"class":`) {
		t.Errorf("field names or order differ from goras predict --json: %s", b)
	}
	// Several pictures as multipart form files, named by their file names.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i, name := range []string{"a.png", "dir/b.png"} {
		fw, _ := mw.CreateFormFile("image", name)
		fw.Write(digitPNG(t, test, i))
	}
	mw.Close()
	code, b = ts.do(t, "POST", "/api/predict?model=five", &body, "Content-Type", mw.FormDataContentType())
	if err := json.Unmarshal(b, &preds); code != 200 || err != nil || len(preds) != 2 || preds[1].File != "b.png" || len(preds[0].Top) != 3 {
		t.Errorf("multipart: %d %s", code, b)
	}
	_, probs1 := direct(t, m, digitPNG(t, test, 1))
	if preds[1].Top[0].Probability != probs1[preds[1].Class] {
		t.Errorf("second picture: %+v, want probability %v", preds[1], probs1[preds[1].Class])
	}
	// Pictures beyond predictValues' worth go in chunks (here two
	// pictures), answered in order as in one batch (to rounding: a batch's
	// size may change the order of a sum).
	five := func() (io.Reader, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for i := range 5 {
			fw, _ := mw.CreateFormFile("image", fmt.Sprintf("%d.png", i))
			fw.Write(digitPNG(t, test, i))
		}
		mw.Close()
		return &body, mw.FormDataContentType()
	}
	body5, ct := five()
	_, whole := ts.do(t, "POST", "/api/predict?model=five", body5, "Content-Type", ct)
	defer func(v int) { predictValues = v }(predictValues)
	predictValues = 2*28*28 + 5
	body5, ct = five()
	code, chunked := ts.do(t, "POST", "/api/predict?model=five", body5, "Content-Type", ct)
	var a, c []predict.Prediction
	if json.Unmarshal(whole, &a) != nil || json.Unmarshal(chunked, &c) != nil || code != 200 || len(a) != 5 || len(c) != 5 {
		t.Fatalf("five pictures in chunks of two: %d %s, want %s", code, chunked, whole)
	}
	for i := range a {
		if c[i].File != fmt.Sprintf("%d.png", i) || c[i].Class != a[i].Class || math.Abs(float64(c[i].Top[0].Probability-a[i].Top[0].Probability)) > 1e-6 {
			t.Errorf("picture %d in chunks: %+v, in one batch %+v", i, c[i], a[i])
		}
	}
}

func TestPredictBadInput(t *testing.T) {
	ts := newTestServer(t, Options{})
	saveNetwork(t, ts.dir, "mlp", "mlp.safetensors")
	pic := digitPNG(t, fakeDigits(1, 1), 0)
	blank := func() []byte {
		var buf bytes.Buffer
		img := image.NewGray(image.Rect(0, 0, 40, 40))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		png.Encode(&buf, img)
		return buf.Bytes()
	}()
	huge := func() []byte { // a 16,000×16,000 PNG header over a few bytes (Go's PNG reader takes it on 32-bit builds too)
		var buf bytes.Buffer
		png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
		b := buf.Bytes()
		binary.BigEndian.PutUint32(b[16:20], 16000)
		binary.BigEndian.PutUint32(b[20:24], 16000)
		binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
		return b
	}()
	cases := []struct {
		what, path string
		body       []byte
		code       int
		says       string
	}{
		{"no model", "/api/predict?model=nosuch", pic, 404, "nosuch"},
		{"current none", "/api/predict", pic, 404, "no model chosen yet"},
		{"not an image", "/api/predict?model=mlp", []byte("hello, I am text"), 415, "not a PNG, JPEG or GIF"},
		{"empty", "/api/predict?model=mlp", nil, 400, "empty"},
		{"blank", "/api/predict?model=mlp", blank, 422, "shows no digit"},
		{"too many pixels", "/api/predict?model=mlp", huge, 422, "16000×16000"},
		{"huge body", "/api/predict?model=mlp", bytes.Repeat([]byte{1}, 17<<20), 413, "16 MB"},
		{"bad top", "/api/predict?model=mlp&top=0", pic, 400, "top"},
		{"draw: not an image", "/api/draw?model=mlp", []byte("GIF89a..."), 415, "not a PNG"},
	}
	for _, c := range cases {
		code, b := ts.do(t, "POST", c.path, bytes.NewReader(c.body), "Content-Type", "image/png")
		wantError(t, c.what, code, b, c.code, c.says)
	}
	code, b := ts.do(t, "GET", "/api/predict?model=mlp", nil)
	wantError(t, "GET predict", code, b, http.StatusMethodNotAllowed, "POST")
}

func TestDrawFeatureMaps(t *testing.T) {
	ts := newTestServer(t, Options{})
	m, _ := saveNetwork(t, ts.dir, "lenet5", "lenet.safetensors")
	pic := digitPNG(t, fakeDigits(10, 4), 7)
	px, probs := direct(t, m, pic)
	code, b := ts.do(t, "POST", "/api/draw?model=lenet", bytes.NewReader(pic))
	if code != 200 {
		t.Fatalf("draw: %d %s", code, b)
	}
	var res drawResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	// The feature model is a copy with the same weights: the same
	// probabilities, bit for bit, and the same 28×28.
	for k := range probs {
		if res.Probabilities[k] != probs[k] {
			t.Fatalf("probabilities %v, want %v", res.Probabilities, probs)
		}
	}
	for i := range px {
		if res.Input[i] != px[i] {
			t.Fatalf("input pixel %d: %v, want %v", i, res.Input[i], px[i])
		}
	}
	// LeNet-5 as the course draws it: 1 → 6 → 6 → 16 → 16.
	var shapes []string
	for _, l := range res.Layers {
		shapes = append(shapes, fmt.Sprintf("%s:%dx%dx%d", l.Class, l.H, l.W, l.C))
		if len(l.Maps) != l.H*l.W*l.C {
			t.Errorf("layer %s: %d bytes of maps, want %d", l.Name, len(l.Maps), l.H*l.W*l.C)
		}
	}
	want := "Conv2D:28x28x6 MaxPooling2D:14x14x6 Conv2D:10x10x16 MaxPooling2D:5x5x16"
	if strings.Join(shapes, " ") != want {
		t.Errorf("feature layers %v, want %s", shapes, want)
	}
	// An MLP has no feature maps but answers the same way.
	saveNetwork(t, ts.dir, "mlp", "flat.safetensors")
	code, b = ts.do(t, "POST", "/api/draw?model=flat", bytes.NewReader(pic))
	if code != 200 || !strings.Contains(string(b), `"layers":[]`) {
		t.Errorf("draw with an MLP: %d %.200s", code, b)
	}
}

func TestMapsBytes(t *testing.T) {
	// (h, w, c) = (1, 3, 2): channel 0 is 1, 2, 3; channel 1 is flat.
	v := []float32{1, 5, 2, 5, 3, 5}
	got := mapsBytes(v, 1, 3, 2, 2)
	want := []byte{0, 128, 255, 0, 0, 0} // (2-1)/(3-1)·255 = 127.5, rounded up
	if !bytes.Equal(got, want) {
		t.Errorf("mapsBytes = %v, want %v", got, want)
	}
	if got := mapsBytes(v, 1, 3, 2, 1); !bytes.Equal(got, want[:3]) {
		t.Errorf("one channel shown: %v", got)
	}
}
