package studio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // pictures are read as goras predict reads them
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/imagefolder"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/tensor"
)

// The test sets the Look and Learn pages can judge a model on.
const (
	testMNIST   = "mnist"
	testFashion = "fashion_mnist"
)

// pictureInput says how a model takes a picture and what the pages can do
// with it. It follows goras predict: a model without class names taking
// MNIST's 28×28 digits gets each picture made into an MNIST digit
// (mnist.PrepareImage); any other model taking pictures, (height, width)
// or (height, width, 1, 3 or 4 channels), gets it resized to its input as
// goras train --data reads a folder's pictures (imagefolder.LoadImage). A
// model with names taking a flat (784) reads 28×28 grey pictures.
type pictureInput struct {
	Height    int    `json:"height"`
	Width     int    `json:"width"`
	Channels  int    `json:"channels"`
	ColorMode string `json:"color_mode"` // grayscale, rgb or rgba
	// Digit says a picture is made an MNIST digit (cropped to its ink,
	// centred, inverted when its background is light) rather than resized.
	Digit bool `json:"digit"`
	// Draw says the Draw page's canvas makes sense: a 28×28 grey input.
	Draw bool `json:"draw"`
	// TestSet is the test set the Look and Learn pages judge the model
	// on: "mnist" for a digit model, "fashion_mnist" for a 28×28 grey one
	// carrying Fashion-MNIST's class names, "" for a model of other
	// pictures, which the studio has no test set of.
	TestSet string `json:"test_set"`

	names []string // the model's class names, nil when it has none
}

// pictureInputOf works out how model name, m, takes pictures. A model that
// does not take pictures, or does not give one value per class, is a 422
// error saying what the studio needs.
func pictureInputOf(name string, m *goras.Model) (pictureInput, error) {
	who := fmt.Sprintf("model %q", name)
	if err := m.Build(); err != nil {
		return pictureInput{}, errorf(http.StatusUnprocessableEntity, "%s: %v", who, err)
	}
	if out := m.OutputShape(); len(out) != 1 || out[0] < 1 {
		return pictureInput{}, errorf(http.StatusUnprocessableEntity, "%s outputs shape %s; the studio needs one probability per class, (classes)",
			who, tensor.ShapeString(out, true))
	}
	pi := pictureInput{names: m.ClassNames()}
	digitShaped := predict.CheckModel(m, who, "the studio") == nil
	h, w, mode, err := predict.PictureInput(m, who, "the studio")
	switch {
	case digitShaped && pi.names == nil:
		h, w, mode, pi.Digit, pi.TestSet = mnist.Side, mnist.Side, "grayscale", true, testMNIST
	case err != nil && digitShaped: // (784) with class names: 28×28 grey pictures, flattened
		h, w, mode = mnist.Side, mnist.Side, "grayscale"
	case err != nil:
		return pictureInput{}, errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	pi.Height, pi.Width, pi.ColorMode = h, w, mode
	pi.Channels = map[string]int{"grayscale": 1, "rgb": 3, "rgba": 4}[mode]
	pi.Draw = h == mnist.Side && w == mnist.Side && pi.Channels == 1
	if pi.Draw && slices.Equal(pi.names, fashionmnist.ClassNames()) {
		pi.TestSet = testFashion
	}
	return pi, nil
}

// describe says in a few words what the model reads, for messages:
// "28×28 grey digits", "64×64 RGB pictures".
func (pi pictureInput) describe() string {
	if pi.Digit {
		return "28×28 grey digits"
	}
	mode := map[string]string{"grayscale": "grey", "rgb": "RGB", "rgba": "RGBA"}[pi.ColorMode]
	return fmt.Sprintf("%d×%d %s pictures", pi.Height, pi.Width, mode)
}

// fewNames lists up to three class names for a message: "cat, dog, bird, …".
func fewNames(names []string) string {
	s := strings.Join(names[:min(3, len(names))], ", ")
	if len(names) > 3 {
		s += ", …"
	}
	return s
}

// noTestSet is the error of a page that judges a model on a test set when
// the model has none the studio knows.
func noTestSet(name string, pi pictureInput, what string) error {
	classes := "classes of its own"
	if pi.names != nil {
		classes = "its own classes (" + fewNames(pi.names) + ")"
	}
	return errorf(http.StatusUnprocessableEntity, "model %q reads %s into %s, not MNIST's digits or Fashion-MNIST's clothes; "+
		"%s needs the model's test pictures and the studio has only those two test sets: try the model with a picture of your own on the Draw page",
		name, pi.describe(), classes, what)
}

// Limits on a picture sent to be read.
const (
	// maxImagePixels bounds a picture's size (a 16-megapixel phone photo
	// fits); its decoded RGBA then takes at most 64 MB.
	maxImagePixels = 16 << 20
	// maxPixelsPerByte bounds how many pixels one byte of a PNG, GIF or
	// JPEG can encode (PNG's deflate expands at most 1032 times, 8 one-bit
	// pixels a byte), so that a tiny file claiming a huge picture is
	// refused before the decoder allocates it.
	maxPixelsPerByte = 1032 * 8
	// maxImages bounds the pictures of one /api/predict request.
	maxImages = 256
)

// readPicture reads a PNG, JPEG or GIF picture as the model of pi takes
// it, as goras predict does: height·width·channels values in [0, 1],
// row-major (NHWC).
func readPicture(b []byte, name string, pi pictureInput) ([]float32, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, errorf(http.StatusUnsupportedMediaType, "%s is not a PNG, JPEG or GIF image (%v); send the picture's bytes as the body", name, err)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 || pixels > maxImagePixels || pixels > int64(len(b))*maxPixelsPerByte {
		return nil, errorf(http.StatusUnprocessableEntity, "%s is %d×%d pixels; the studio reads pictures of 1 pixel to 16 megapixels that the file can hold", name, cfg.Width, cfg.Height)
	}
	if !pi.Digit {
		return resizePicture(b, name, pi)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, "%s: broken image: %v", name, err)
	}
	x, err := mnist.PrepareImage(img)
	if errors.Is(err, mnist.ErrNoInk) {
		return nil, errorf(http.StatusUnprocessableEntity, "%s shows no digit: the picture is blank or has too little contrast", name)
	}
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, "%s: %v", name, err)
	}
	return x, nil
}

// resizePicture reads a picture as goras predict reads one for a model of
// pictures (imagefolder's decoder and resizer), so the studio's answers are
// the same, bit for bit, as goras predict's.
func resizePicture(b []byte, name string, pi pictureInput) ([]float32, error) {
	px, err := imagefolder.DecodeImage(b, name, imagefolder.ImageSize(pi.Height, pi.Width), imagefolder.ColorMode(pi.ColorMode))
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, "%s", strings.TrimPrefix(err.Error(), "imagefolder: "))
	}
	return px, nil
}
