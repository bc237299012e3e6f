package e2e

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/imagefolder"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// colourNames are the classes of the colour model: each picture is
// mostly red, green or blue.
var colourNames = []string{"red apple", "green leaf", "blue sky"}

// colourPicture is a w×h picture of class k: its channel k bright, the
// others dark, every pixel varied.
func colourPicture(rng *rand.Rand, w, h, k int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		for c := range 3 {
			v := rng.IntN(100)
			if c == k {
				v += 150
			}
			img.Pix[i+c] = uint8(v)
		}
		img.Pix[i+3] = 255
	}
	return img
}

// trainColourModel trains a small network on 24×32 RGB pictures of the
// three colours, names its classes and saves it as path.
func trainColourModel(t *testing.T, path string) {
	rng := rand.New(rand.NewPCG(4, 2))
	const n, h, w = 240, 24, 32
	x, y := tensor.New(n, h, w, 3), tensor.New(n)
	for i := range n {
		img := colourPicture(rng, w, h, i%3)
		for j := range h * w * 3 {
			x.Data()[i*h*w*3+j] = float32(img.Pix[j/3*4+j%3]) / 255
		}
		y.Data()[i] = float32(i % 3)
	}
	m := goras.NewSequential(layers.Input(h, w, 3), layers.Conv2D(4, 3, layers.WithActivation("relu")),
		layers.GlobalAveragePooling2D(), layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(1)
	adam, _ := optimizers.NewAdam(optimizers.LearningRate(0.05))
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), x, y, goras.Epochs(15), goras.BatchSize(16), goras.Verbose(0), goras.Output(io.Discard)); err != nil {
		t.Fatal(err)
	}
	if err := m.SetClassNames(colourNames); err != nil {
		t.Fatal(err)
	}
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
}

// writePNG saves a picture for the browser to upload.
func writePNG(t *testing.T, path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// expect is what goras predict says: the model file's probabilities on
// the picture read as imagefolder.LoadImage reads it at the model's input.
func expect(t *testing.T, model, picture string, h, w int, mode string) []float32 {
	m, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	px, err := imagefolder.LoadImage(picture, imagefolder.ImageSize(h, w), imagefolder.ColorMode(mode))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromSlice(px, append([]int{1}, m.InputShape()...)...)
	p, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	return p.Data()
}

// colourModel uploads the colour model on the Models page, uses it, and
// on the Draw page, where drawing is not offered, uploads a blue picture
// and reads the class names shown against goras predict's numbers.
func colourModel(t *testing.T, ctx context.Context, base, tmp string) {
	model := filepath.Join(tmp, "colours.safetensors")
	trainColourModel(t, model)
	run(t, ctx, chromedp.Navigate(base+"/#models"), chromedp.WaitVisible(chromedp.CSS("#models-table tbody tr")),
		chromedp.SetUploadFiles(chromedp.CSS("#upload-file"), []string{model}),
		chromedp.SetValue(chromedp.CSS("#upload-name"), "colours"),
		chromedp.Click(chromedp.CSS(`#upload-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`#models-table tr[data-model="colours"]`)))
	classes := get(t, ctx, chromedp.Text(chromedp.CSS(`#models-table tr[data-model="colours"] td:nth-child(5)`)))
	if classes != "3: red apple, green leaf, blue sky" {
		t.Errorf("the Models page shows the colour model's classes as %q", classes)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`#models-table tr[data-model="colours"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#models-table tr[data-model="colours"] td:first-child`)), chromedp.Sleep(300*time.Millisecond))

	picture := filepath.Join(tmp, "sky.png")
	writePNG(t, picture, colourPicture(rand.New(rand.NewPCG(9, 9)), 90, 60, 2))
	want := expect(t, model, picture, 24, 32, "rgb")
	if k := tensor.ArgMaxRow(want); k != 2 {
		t.Fatalf("the colour model reads a blue picture as %q (%v): it did not learn", colourNames[k], want)
	}
	get(t, ctx, chromedp.Evaluate[string](`location.hash = '#draw'`))
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS("#draw-why")))
	state := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('#draw-title').textContent + ' | ' +
		document.querySelector('#draw-why').textContent + ' | pad hidden: ' + document.querySelector('#draw-pad').classList.contains('hidden')`))
	if !strings.HasPrefix(state, "Try a picture | This model reads 24×32 RGB pictures;") || !strings.HasSuffix(state, "pad hidden: true") {
		t.Errorf("the Draw page for an RGB model: %q", state)
	}
	run(t, ctx, chromedp.SetUploadFiles(chromedp.CSS("#draw-file"), []string{picture}),
		chromedp.WaitVisible(chromedp.CSS("#draw-bars .bar")), chromedp.WaitVisible(chromedp.CSS("#draw-maps canvas")))
	shown := get(t, ctx, chromedp.Evaluate[[]string](`[document.querySelector('#draw-class').textContent,
		...[...document.querySelectorAll('#draw-bars .label, #draw-bars .prob')].map(e => e.textContent)]`))
	wantShown := []string{"blue sky"}
	for k, name := range colourNames {
		wantShown = append(wantShown, name, fmt.Sprintf("%.3f", want[k]))
	}
	if !slices.Equal(shown, wantShown) {
		t.Errorf("the Draw page shows %q, want %q (goras predict's numbers)", shown, wantShown)
	}
	seen := get(t, ctx, chromedp.Text(chromedp.CSS("#draw-seen-size")))
	if seen != "24×32×3" {
		t.Errorf("the picture as the model sees it is %q, want 24×32×3", seen)
	}
	screenshot(t, ctx, "picture")

	// The Look page has no test set for this model: it says so.
	get(t, ctx, chromedp.Evaluate[string](`location.hash = '#look'`))
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS("#notice.error")))
	msg := get(t, ctx, chromedp.Text(chromedp.CSS("#notice")))
	if !strings.Contains(msg, "reads 24×32 RGB pictures into its own classes (red apple, green leaf, blue sky)") {
		t.Errorf("the Look page for the colour model says %q", msg)
	}
}

// uploadDigit uploads a picture of MNIST's first test digit on the Draw
// page, with the digit model current, and checks the class against the
// model's Predict on the picture as goras predict reads it.
func uploadDigit(t *testing.T, ctx context.Context, base, model, tmp string) {
	_, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 112, 112)) // dark ink on white, 4× larger
	for i, v := range test.X.Image(0) {
		for d := range 16 {
			img.SetGray((i%28)*4+d%4, (i/28)*4+d/4, color.Gray{Y: 255 - v})
		}
	}
	picture := filepath.Join(tmp, "digit.png")
	writePNG(t, picture, img)
	m, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	px, err := mnist.LoadImage(picture)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromSlice(px, 1, 28, 28, 1)
	p, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.Navigate(base+"/#draw"), chromedp.WaitVisible(chromedp.CSS("#draw-canvas")),
		chromedp.SetUploadFiles(chromedp.CSS("#draw-file"), []string{picture}), chromedp.WaitVisible(chromedp.CSS("#draw-picture")),
		chromedp.WaitVisible(chromedp.CSS("#draw-bars .bar")))
	class := get(t, ctx, chromedp.Text(chromedp.CSS("#draw-class")))
	if want := fmt.Sprint(tensor.ArgMaxRow(p.Data())); class != want {
		t.Errorf("the uploaded digit is read as %q on the page, %s by the model", class, want)
	}
}

// fashionLook trains a small model on Fashion-MNIST, names its classes,
// puts it in the runs folder and checks that the Look page names them.
func fashionLook(t *testing.T, ctx context.Context, base, dir string) {
	train, _, err := fashionmnist.LoadData()
	if err != nil {
		t.Logf("Fashion-MNIST cannot be loaded, so its Look page is not checked: %v", err)
		return
	}
	train = fashionmnist.Dataset{X: train.X.Slice(0, 6000), Y: train.Y[:6000]}
	m := goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(64, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(1)
	adam, _ := optimizers.NewAdam()
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), train.X, train.Y, goras.Epochs(2), goras.BatchSize(64), goras.Verbose(0), goras.Output(io.Discard)); err != nil {
		t.Fatal(err)
	}
	names := fashionmnist.ClassNames()
	if err := m.SetClassNames(names); err != nil {
		t.Fatal(err)
	}
	if err := saving.Save(m, filepath.Join(dir, "clothes.safetensors")); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.Navigate(base+"/#models"), chromedp.WaitVisible(chromedp.CSS(`#models-table tr[data-model="clothes"] button`)),
		chromedp.Click(chromedp.CSS(`#models-table tr[data-model="clothes"] button`)), chromedp.Sleep(300*time.Millisecond))
	get(t, ctx, chromedp.Evaluate[string](`location.hash = '#look'`))
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`table.confusion.named td[data-true="9"][data-pred="9"]`)),
		chromedp.Click(chromedp.CSS(`table.confusion td[data-true="6"][data-pred="0"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#cell-digits .digit`)), chromedp.WaitVisible(chromedp.CSS(`#look-mistakes .digit`)))
	cols := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('table.confusion th.col')].map(e => e.textContent)`))
	title := get(t, ctx, chromedp.Text(chromedp.CSS("#cell-title")))
	if !slices.Equal(cols, names) || !strings.HasPrefix(title, "true Shirt, read as T-shirt/top: ") {
		t.Errorf("the Look page of a Fashion-MNIST model: columns %q, cell title %q", cols, title)
	}
	viewportShot(t, ctx, "look-fashion")

	// Drawing is offered, light on dark as Fashion-MNIST's pictures are.
	get(t, ctx, chromedp.Evaluate[string](`location.hash = '#draw'`))
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS("#draw-canvas")))
	state := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('#draw-title').textContent + ' | ' + document.querySelector('#draw-hint').textContent +
		' | ' + document.querySelector('#draw-canvas').getContext('2d').getImageData(5, 5, 1, 1).data.slice(0, 3).join(',')`))
	if state != "Draw a picture | draw light on dark, as the model's pictures are | 0,0,0" {
		t.Errorf("the Draw page of a Fashion-MNIST model: %q", state)
	}
}

// viewportShot saves what the window shows (1400×1000), for a page whose
// full height would make a large file.
func viewportShot(t *testing.T, ctx context.Context, page string) {
	get(t, ctx, chromedp.Evaluate[string](`window.scrollTo(0, 0), ''`))
	run(t, ctx, chromedp.Sleep(300*time.Millisecond))
	png := get(t, ctx, chromedp.CaptureScreenshot())
	path := filepath.Join(shots, page+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s (%d KB)", path, len(png)>>10)
}
