package studio

import (
	"bytes"
	"errors"
	"image"
	_ "image/gif" // pictures are read as goras predict reads them
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/tensor"
)

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

// readDigit decodes a PNG, JPEG or GIF picture and prepares it as
// goras predict does (mnist.PrepareImage): 28×28 values in [0, 1].
func readDigit(b []byte, name string) ([]float32, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, errorf(http.StatusUnsupportedMediaType, "%s is not a PNG, JPEG or GIF image (%v); send the picture's bytes as the body", name, err)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 || pixels > maxImagePixels || pixels > int64(len(b))*maxPixelsPerByte {
		return nil, errorf(http.StatusUnprocessableEntity, "%s is %d×%d pixels; the studio reads pictures of 1 pixel to 16 megapixels that the file can hold", name, cfg.Width, cfg.Height)
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

// namedImage is one picture of a request and the name it goes by.
type namedImage struct {
	name string
	data []byte
}

// readImages takes the pictures of a request: the body itself, named by
// ?file= (default "image"), or the file parts of a multipart/form-data
// body, named by their file names.
func readImages(w http.ResponseWriter, r *http.Request) ([]namedImage, error) {
	body, err := readBody(w, r, maxImageBody)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, badRequest("the body is empty; send a PNG, JPEG or GIF picture of a digit")
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		name := r.URL.Query().Get("file")
		if name == "" {
			name = "image"
		}
		return []namedImage{{name, body}}, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var out []namedImage
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badRequest("the multipart body is malformed: %v", err)
		}
		if p.FileName() == "" {
			continue
		}
		if len(out) == maxImages {
			return nil, badRequest("at most %d pictures per request", maxImages)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, badRequest("reading part %s: %v", p.FileName(), err)
		}
		out = append(out, namedImage{filepath.Base(p.FileName()), b})
	}
	if len(out) == 0 {
		return nil, badRequest("the multipart body has no file part; send the pictures as files")
	}
	return out, nil
}

// predict answers POST /api/predict[?model=NAME][&top=3]: the pictures'
// classes, as `goras predict --json` prints them.
func (s *Server) predict(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	top, err := queryInt(q, "top", 3, 1, 1000)
	if err != nil {
		return err
	}
	lm, err := s.model(q.Get("model"))
	if err != nil {
		return err
	}
	if err := digitModel(lm.ref.Name, lm.model); err != nil {
		return err
	}
	imgs, err := readImages(w, r)
	if err != nil {
		return err
	}
	x := tensor.New(append([]int{len(imgs)}, lm.model.InputShape()...)...)
	for i, img := range imgs {
		px, err := readDigit(img.data, img.name)
		if err != nil {
			return err
		}
		copy(x.Data()[i*mnist.Side*mnist.Side:], px)
	}
	probs, err := lm.model.Predict(x, goras.Verbose(0))
	if err != nil {
		return err
	}
	classes := lm.model.OutputShape()[0]
	out := make([]predict.Prediction, len(imgs))
	for i, img := range imgs {
		row := probs.Data()[i*classes : (i+1)*classes]
		if err := predict.CheckProbabilities(row, "the studio"); err != nil {
			return errorf(http.StatusUnprocessableEntity, "model %q on %s: %v", lm.ref.Name, img.name, err)
		}
		out[i] = predict.Top(img.name, row, top)
	}
	return writeJSON(w, http.StatusOK, out)
}
