package studio

import (
	"bytes"
	_ "image/gif" // pictures are read as goras predict reads them
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/tensor"
)

// namedImage is one picture of a request and the name it goes by.
type namedImage struct {
	name string
	data []byte
}

// readImages takes the pictures of a request: the body itself, named by
// ?file= (default "image"), or the file parts of a multipart/form-data
// body, named by their file names.
func (s *Server) readImages(w http.ResponseWriter, r *http.Request) ([]namedImage, error) {
	body, err := s.readBody(w, r, maxImageBody)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, badRequest("the body is empty; send a PNG, JPEG or GIF picture")
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
// classes, with their names when the model has them, as `goras predict
// --json` prints them.
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
	pi, err := pictureInputOf(lm.ref.Name, lm.model)
	if err != nil {
		return err
	}
	imgs, err := s.readImages(w, r)
	if err != nil {
		return err
	}
	// The pictures go to the model in chunks of at most predictValues
	// input values: 256 pictures for a model of large inputs would
	// otherwise take gigabytes at once.
	shape := lm.model.InputShape()
	size := tensor.Numel(shape)
	per := max(1, predictValues/size)
	out := make([]predict.Prediction, 0, len(imgs))
	for len(imgs) > 0 {
		chunk := imgs[:min(per, len(imgs))]
		imgs = imgs[len(chunk):]
		preds, err := s.predictChunk(lm, pi, chunk, shape, top)
		if err != nil {
			return err
		}
		out = append(out, preds...)
	}
	return writeJSON(w, http.StatusOK, out)
}

// predictValues bounds the input values predict gives the model at once
// (64 Mi, 256 MB of float32).
var predictValues = 1 << 26

// predictChunk predicts the pictures imgs, each of the model's input shape.
func (s *Server) predictChunk(lm *loadedModel, pi pictureInput, imgs []namedImage, shape []int, top int) ([]predict.Prediction, error) {
	x := tensor.New(append([]int{len(imgs)}, shape...)...)
	size := x.Len() / len(imgs)
	for i, img := range imgs {
		px, err := readPicture(img.data, img.name, pi)
		if err != nil {
			return nil, err
		}
		copy(x.Data()[i*size:], px)
	}
	probs, err := lm.model.Predict(x, goras.Verbose(0))
	if err != nil {
		return nil, err
	}
	classes := lm.model.OutputShape()[0]
	out := make([]predict.Prediction, len(imgs))
	for i, img := range imgs {
		row := probs.Data()[i*classes : (i+1)*classes]
		if err := predict.CheckProbabilities(row, "the studio"); err != nil {
			return nil, errorf(http.StatusUnprocessableEntity, "model %q on %s: %v", lm.ref.Name, img.name, err)
		}
		out[i] = predict.Top(img.name, row, top).WithClassNames(pi.names)
	}
	return out, nil
}
