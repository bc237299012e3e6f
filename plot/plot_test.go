package plot

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/tensor"
)

func history() *goras.History {
	return &goras.History{
		Epoch: []int{0, 1, 2, 3},
		History: map[string][]float64{
			"loss":         {0.9, 0.5, 0.31, 0.25},
			"accuracy":     {0.7, 0.85, 0.9, 0.925},
			"val_loss":     {0.6, 0.45, 0.4, 0.38},
			"val_accuracy": {0.8, 0.86, 0.88, 0.89},
		},
		Seconds: []float64{1.25, 1.5, 1.125, 2},
	}
}

// readPNG decodes a PNG file and fails the test if it is not one.
func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", path, err)
	}
	return img
}

// checkSVG parses an SVG file as XML to the end and returns its text.
func checkSVG(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element %q, want svg", path, root)
	}
	return string(data)
}

// stats counts a picture's pixels: the luminance variance (0 for a blank
// picture) and how many pixels are close to each colour asked about.
func stats(img image.Image, want ...color.RGBA) (variance float64, counts []int) {
	b := img.Bounds()
	counts = make([]int, len(want))
	var s, s2 float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			l := 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)
			s, s2 = s+l, s2+l*l
			for i, c := range want {
				if absDiff(r, c.R) <= 12 && absDiff(g, c.G) <= 12 && absDiff(bl, c.B) <= 12 {
					counts[i]++
				}
			}
		}
	}
	n := float64(b.Dx() * b.Dy())
	return s2/n - (s/n)*(s/n), counts
}

func absDiff(a uint32, b uint8) uint32 {
	if a > uint32(b) {
		return a - uint32(b)
	}
	return uint32(b) - a
}

func checkSize(t *testing.T, img image.Image, w, h int) {
	t.Helper()
	if b := img.Bounds(); abs(b.Dx()-w) > 1 || abs(b.Dy()-h) > 1 {
		t.Errorf("picture is %d×%d, want %d×%d", b.Dx(), b.Dy(), w, h)
	}
}

func abs(x int) int { return max(x, -x) }

// noTempFiles checks the atomic writes left nothing behind in dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestSaveCurves(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "curves.png")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil { // replaced whole
		t.Fatal(err)
	}
	if err := SaveCurves(history(), p); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, p)
	// Two panels of 5 × 3.6 inches at 96 DPI.
	checkSize(t, img, 960, 346)
	v, n := stats(img, trainColor, valColor)
	if v < 100 || n[0] < 200 || n[1] < 200 {
		t.Errorf("luminance variance %.0f, %d train-blue and %d validation-orange pixels; want a drawing with both curves", v, n[0], n[1])
	}
	svg := filepath.Join(dir, "curves.svg")
	if err := SaveCurves(history(), svg); err != nil {
		t.Fatal(err)
	}
	text := checkSVG(t, svg)
	for _, want := range []string{"Loss", "Accuracy", "epoch", "train", "validation"} {
		if !strings.Contains(text, want) {
			t.Errorf("the SVG has no text %q", want)
		}
	}
	noTempFiles(t, dir)
}

func TestCurvesPanels(t *testing.T) {
	h := history()
	h.History["learning_rate"] = []float64{0.1, 0.1, 0.05, 0.05}
	h.History["mae"] = []float64{1, 2, 3, 4}
	plots, err := Curves(h)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, p := range plots {
		titles = append(titles, p.Title.Text)
	}
	if got := strings.Join(titles, ","); got != "Loss,Accuracy,Mae" {
		t.Errorf("panels %s, want Loss,Accuracy,Mae (no learning rate)", got)
	}
	if _, err := Curves(&goras.History{}); err == nil {
		t.Error("Curves of an empty History: no error")
	}
	// Whole epochs only, counted from 1.
	var ticks []float64
	for _, tk := range (epochTicks{}).Ticks(0.8, 4.2) {
		ticks = append(ticks, tk.Value)
	}
	if len(ticks) != 4 || ticks[0] != 1 || ticks[3] != 4 {
		t.Errorf("ticks %v, want 1 2 3 4", ticks)
	}
	if n := len((epochTicks{}).Ticks(1, 100)); n > 12 {
		t.Errorf("%d ticks for 100 epochs", n)
	}
}

func TestLoadHistoryCSVRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "history.csv")
	h := history()
	if err := h.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHistoryCSV(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Epoch) != 4 || got.Epoch[3] != 3 {
		t.Errorf("epochs %v", got.Epoch)
	}
	for k, want := range h.History {
		for i, v := range want {
			if got.History[k][i] != v {
				t.Errorf("%s[%d] = %v, want %v", k, i, got.History[k][i], v)
			}
		}
	}
	if len(got.History) != len(h.History) {
		t.Errorf("keys %v, want %v", got.Keys(), h.Keys())
	}
	for i, s := range h.Seconds {
		if got.Seconds[i] != s {
			t.Errorf("seconds %v, want %v", got.Seconds, h.Seconds)
			break
		}
	}
}

func TestReadHistoryCSVLogger(t *testing.T) {
	// callbacks.CSVLogger: no seconds column, CRLF rows, NA for a gap.
	h, err := ReadHistoryCSV(strings.NewReader("epoch,accuracy,loss\r\n0,0.5,1.5\r\n1,NA,0.75\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if h.History["loss"][1] != 0.75 || !math.IsNaN(h.History["accuracy"][1]) || len(h.Seconds) != 0 {
		t.Errorf("read %+v", h)
	}
	if err := SaveCurves(h, filepath.Join(t.TempDir(), "c.png")); err != nil {
		t.Errorf("SaveCurves with a NaN value: %v", err)
	}
}

func TestLoadHistoryCSVErrors(t *testing.T) {
	cases := map[string]string{
		"":                               "empty file",
		"step,loss\n0,1\n":               `want "epoch"`,
		"epoch,loss\n":                   "no epochs",
		"epoch,loss\n0,abc\n":            `line 2, column "loss": "abc" is not a number`,
		"epoch,loss\nx,1\n":              `line 2: epoch "x"`,
		"epoch,loss,loss\n0,1,2\n":       "repeated column",
		"epoch,loss\n0,1,2\n":            "wrong number of fields",
		"epoch,loss,seconds\n0,1,soon\n": `column "seconds"`,
	}
	for in, want := range cases {
		_, err := ReadHistoryCSV(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one mentioning %q", in, err, want)
		}
	}
	_, err := LoadHistoryCSV(filepath.Join(t.TempDir(), "none.csv"))
	if err == nil || !strings.HasPrefix(err.Error(), "plot: ") || !strings.Contains(err.Error(), "none.csv") {
		t.Errorf("missing file: %v", err)
	}
}

// digits makes n 28×28 images: image 0 all ink, the others a bar.
func digits(n int) *tensor.Tensor {
	x := tensor.New(n, 28, 28)
	d := x.Data()
	for i := range 784 {
		d[i] = 1
	}
	for i := 1; i < n; i++ {
		for y := 4; y < 24; y++ {
			d[i*784+y*28+10+i%8] = 0.8
		}
	}
	return x
}

func TestSaveDigitGrid(t *testing.T) {
	dir := t.TempDir()
	x := digits(6)
	labels := []int{0, 1, 2, 3, 4, 5}
	right := filepath.Join(dir, "right.png")
	if err := SaveDigitGrid(right, x, labels, labels, 3); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, right)
	// 3 columns of 96 pt + margins 10 pt; 2 rows of (16 + 84 + 10) pt less
	// the last gap, plus margins: 308 × 230 pt = 411 × 307 px.
	checkSize(t, img, 411, 307)
	v, n := stats(img, color.RGBA{0, 0, 0, 255}, red)
	if v < 100 {
		t.Errorf("luminance variance %.0f: blank picture", v)
	}
	if n[1] != 0 {
		t.Errorf("%d red pixels with every prediction right", n[1])
	}
	// Image 0 is all ink: a black square of 28×4 = 112 px a side (the
	// bars of the others are 0.8, not black).
	if n[0] < 110*110 || n[0] > 115*115 {
		t.Errorf("%d black pixels, want about 112² = 12544 for the all-ink digit", n[0])
	}

	wrong := filepath.Join(dir, "wrong.png")
	preds := []int{0, 1, 7, 3, 4, 5}
	if err := SaveDigitGrid(wrong, x, labels, preds, 0); err != nil {
		t.Fatal(err)
	}
	_, n = stats(readPNG(t, wrong), red)
	// A 3-pt (4-px) red frame round a 112-px image is about 1800 pixels,
	// some of them blended with their neighbours; and the caption.
	if n[0] < 1000 {
		t.Errorf("%d red pixels, want a red frame and caption for the wrong prediction", n[0])
	}
	svg := filepath.Join(dir, "grid.svg")
	if err := SaveDigitGrid(svg, x.Slice(0, 2), nil, []int{3, 4}, 2); err != nil {
		t.Fatal(err)
	}
	if text := checkSVG(t, svg); strings.Count(text, "<image") != 2 || !strings.Contains(text, "pred 4") {
		t.Errorf("the SVG should hold 2 images captioned pred …")
	}
	// Flattened (N, 784) and channel-last (N, 28, 28, 1) images are taken.
	flat, _ := x.Reshape(6, 784)
	nhwc, _ := x.Reshape(6, 28, 28, 1)
	for _, v := range []*tensor.Tensor{flat, nhwc} {
		if err := SaveDigitGrid(filepath.Join(dir, "v.png"), v, labels, nil, 6); err != nil {
			t.Errorf("shape %v: %v", v.Shape(), err)
		}
	}
	noTempFiles(t, dir)
}

func TestSaveDigitGridErrors(t *testing.T) {
	dir := t.TempDir()
	x := digits(3)
	odd, _ := x.Reshape(3, 28, 14, 2) // two channels
	notSquare, _ := x.Reshape(4, 588)
	cases := []struct {
		path          string
		x             *tensor.Tensor
		labels, preds []int
		want          string
	}{
		{"a.jpg", x, nil, nil, "must end in .png or .svg"},
		{"a.png", x, []int{1}, nil, "1 labels for 3 images"},
		{"a.png", x, nil, []int{1, 2, 3, 4}, "4 predictions for 3 images"},
		{"a.png", odd, nil, nil, "want (N, H, W)"},
		{"a.png", notSquare, nil, nil, "not a square image"},
		{"a.png", nil, nil, nil, "nil tensor"},
		{"a.png", x.Slice(0, 0), nil, nil, "no images"},
		{filepath.Join("missing", "a.png"), x, nil, nil, filepath.Join("missing", "a.png") + ": the directory " + filepath.Join(dir, "missing") + " does not exist"},
	}
	for _, tc := range cases {
		err := SaveDigitGrid(filepath.Join(dir, tc.path), tc.x, tc.labels, tc.preds, 3)
		if err == nil || !strings.HasPrefix(err.Error(), "plot: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.path, err, tc.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed saves left %d files", len(ents))
	}
}

func TestConfidentErrors(t *testing.T) {
	probs, _ := tensor.FromSlice([]float32{
		0.9, 0.1, 0, // true 0: right
		0.6, 0.3, 0.1, // true 1: wrong, 0 at 0.6
		0.1, 0.2, 0.7, // true 2: right
		0.05, 0.05, 0.9, // true 0: wrong, 2 at 0.9
		0.5, 0.5, 0, // true 1: tie, first wins → 0 at 0.5, wrong
		0.2, 0.2, 0.6, // true 1: wrong, 2 at 0.6 (ties the second, comes after it)
	}, 6, 3)
	got := confidentErrors([]int{0, 1, 2, 0, 1, 1}, probs)
	want := []miss{{3, 2, 0.9}, {1, 0, 0.6}, {5, 2, 0.6}, {4, 0, 0.5}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].i != want[i].i || got[i].pred != want[i].pred || math.Abs(got[i].p-want[i].p) > 1e-6 {
			t.Errorf("got %v, want %v", got, want)
			break
		}
	}
}

func TestSaveMostConfidentErrors(t *testing.T) {
	dir := t.TempDir()
	x := digits(4)
	probs, _ := tensor.FromSlice([]float32{
		0.1, 0.9, // true 1: right
		0.8, 0.2, // true 1: wrong
		0.3, 0.7, // true 0: wrong
		0.6, 0.4, // true 0: right
	}, 4, 2)
	y := []int{1, 1, 0, 0}
	p := filepath.Join(dir, "errors.png")
	if err := SaveMostConfidentErrors(p, x, y, probs, 5); err != nil {
		t.Fatal(err)
	}
	v, n := stats(readPNG(t, p), red)
	if v < 100 || n[0] < 2*1000 {
		t.Errorf("variance %.0f, %d red pixels; want two red-framed errors", v, n[0])
	}
	svg := filepath.Join(dir, "errors.svg")
	if err := SaveMostConfidentErrors(svg, x, y, probs, 1); err != nil {
		t.Fatal(err)
	}
	text := checkSVG(t, svg)
	if !strings.Contains(text, "true 1 → pred 0 (0.80)") || strings.Contains(text, "(0.70)") || strings.Count(text, "<image") != 1 {
		t.Errorf("with n = 1 the SVG should show only the surest error, true 1 → pred 0 (0.80)")
	}
	// No errors: a picture that says so.
	right := filepath.Join(dir, "none.png")
	if err := SaveMostConfidentErrors(right, x, []int{1, 0, 1, 0}, probs, 3); err != nil {
		t.Fatal(err)
	}
	if v, _ := stats(readPNG(t, right)); v == 0 {
		t.Error("the no-errors picture is blank")
	}
	// A NaN (a model that diverged) is an error: it used to be drawn as a
	// confident "pred 0 (NaN)" and to scramble the surest-first order.
	nanProbs, _ := tensor.FromSlice(append([]float32(nil), probs.Data()...), 4, 2)
	nanProbs.Data()[5] = float32(math.NaN())
	for _, tc := range []struct {
		y     []int
		probs *tensor.Tensor
		n     int
		want  string
	}{
		{[]int{1}, probs, 3, "1 labels for 4 images"},
		{y, nil, 3, "probabilities of shape [] for 4 images"},
		{y, probs.Slice(0, 3), 3, "probabilities of shape [3 2]"},
		{y, probs, 0, "n = 0"},
		{y, nanProbs, 3, "image 2 hold NaN"},
	} {
		err := SaveMostConfidentErrors(p, x, tc.y, tc.probs, tc.n)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	noTempFiles(t, dir)
}

func TestSaveConfusion(t *testing.T) {
	dir := t.TempDir()
	// Class 0 always right, class 1 always taken for 2, class 2 half right.
	c := metrics.ConfusionMatrix([]int{0, 0, 1, 1, 2, 2}, []int{0, 0, 2, 2, 2, 1}, 3)
	p := filepath.Join(dir, "cm.png")
	if err := SaveConfusion(p, c); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, p)
	checkSize(t, img, 528, 528) // 5.5 inches
	navy := color.RGBA{8, 48, 107, 255}
	v, n := stats(img, navy, color.RGBA{247, 251, 255, 255})
	// Two full-share cells (0→0 and 1→2) are navy; the zero cells white-blue.
	if v < 100 || n[0] < 2*100*100 || n[1] < 2*100*100 {
		t.Errorf("variance %.0f, %d navy and %d pale pixels; want two full cells and several empty ones", v, n[0], n[1])
	}
	svg := filepath.Join(dir, "cm.svg")
	if err := SaveConfusion(svg, c); err != nil {
		t.Fatal(err)
	}
	text := checkSVG(t, svg)
	for _, want := range []string{"predicted", "true", "accuracy 50.00% of 6"} {
		if !strings.Contains(text, want) {
			t.Errorf("the SVG has no text %q", want)
		}
	}
	if err := SaveConfusion(p, &metrics.Confusion{}); err == nil {
		t.Error("empty confusion matrix: no error")
	}
	noTempFiles(t, dir)
}

// TestConfusionRefusesMalformedCounts draws hand-made matrices whose rows
// are short or whose counts are negative: an error naming the row or cell,
// not a panic (index out of range) or a NaN shade.
func TestConfusionRefusesMalformedCounts(t *testing.T) {
	for _, c := range []struct {
		counts [][]int
		want   string
	}{
		{[][]int{{1, 2}, {3}}, "row 1 has 1 counts for 2 classes"},
		{[][]int{{1}, {3}}, "row 0 has 1 counts for 2 classes"},
		{[][]int{{1, -2}, {3, 4}}, "(true 0, predicted 1) is -2"},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("counts %v: panic %v", c.counts, r)
				}
			}()
			err := SaveConfusion(filepath.Join(t.TempDir(), "cm.svg"), &metrics.Confusion{Counts: c.counts})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("counts %v: error %v, want one saying %q", c.counts, err, c.want)
			}
		}()
	}
}
