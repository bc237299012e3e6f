package studio

import (
	"net/http"
	"sort"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/tensor"
)

// Bounds of the Look page's answers.
const (
	maxDigitsShown = 500
	maxKernelsShow = 128
)

// lookData is a model's answers on its test set (MNIST's, or
// Fashion-MNIST's for a model of its classes), computed once per loaded
// model.
type lookData struct {
	testSet string // pictureInput.TestSet
	names   []string
	test    mnist.Dataset
	probs   []float32 // (N, classes)
	pred    []int
	labels  []int
	conf    *metrics.Confusion
}

// look returns the model's answers on its test set, predicting them the
// first time.
func (s *Server) look(r *http.Request) (*loadedModel, *lookData, error) {
	lm, err := s.model(r.URL.Query().Get("model"))
	if err != nil {
		return nil, nil, err
	}
	pi, err := pictureInputOf(lm.ref.Name, lm.model)
	if err != nil {
		return nil, nil, err
	}
	if pi.TestSet == "" {
		return nil, nil, noTestSet(lm.ref.Name, pi, "the Look page")
	}
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if lm.look != nil {
		return lm, lm.look, nil
	}
	test, err := s.testSet(r.Context(), pi.TestSet)
	if err != nil {
		return nil, nil, err
	}
	x, err := applications.Input(test.X, lm.model)
	if err != nil {
		return nil, nil, errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	probs, err := lm.model.Predict(x, goras.BatchSize(256), goras.Verbose(0))
	if err != nil {
		return nil, nil, err
	}
	classes := lm.model.OutputShape()[0]
	ld := &lookData{testSet: pi.TestSet, names: pi.names, test: test, probs: probs.Data(), pred: tensor.ArgMax(probs), labels: make([]int, test.X.N)}
	for i, y := range test.Y {
		ld.labels[i] = int(y)
		if int(y) >= classes {
			return nil, nil, errorf(http.StatusUnprocessableEntity, "model %q has %d classes, but the test set has label %d", lm.ref.Name, classes, y)
		}
	}
	ld.conf = metrics.ConfusionMatrix(ld.labels, ld.pred, classes)
	lm.look = ld
	return lm, ld, nil
}

// digitJSON is one test picture (a digit, or a piece of clothing) with the
// model's answer.
type digitJSON struct {
	Index       int     `json:"index"`
	Label       int     `json:"label"`
	Predicted   int     `json:"predicted"`
	Probability float32 `json:"probability"` // of the predicted class
	Pixels      []byte  `json:"pixels"`      // 28×28 bytes, base64 in JSON
	// LabelName and PredictedName are the classes' names, left out for a
	// model without names.
	LabelName     string `json:"label_name,omitempty"`
	PredictedName string `json:"predicted_name,omitempty"`
}

func (ld *lookData) digit(i int) digitJSON {
	classes := len(ld.probs) / len(ld.pred)
	d := digitJSON{Index: i, Label: ld.labels[i], Predicted: ld.pred[i], Probability: ld.probs[i*classes+ld.pred[i]], Pixels: ld.test.X.Image(i)}
	if ld.names != nil {
		d.LabelName, d.PredictedName = ld.names[d.Label], ld.names[d.Predicted]
	}
	return d
}

// answer is a Look answer: the fields every one has, then fields.
func (ld *lookData) answer(lm *loadedModel, fields map[string]any) map[string]any {
	fields["model"], fields["class_names"], fields["test_set"] = lm.ref.Name, ld.names, ld.testSet
	return fields
}

// lookDigits answers ?offset=&count= test digits in order, with the model's
// answers.
func (s *Server) lookDigits(w http.ResponseWriter, r *http.Request) error {
	lm, ld, err := s.look(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	n := len(ld.pred)
	offset, err := queryInt(q, "offset", 0, 0, max(n-1, 0))
	if err != nil {
		return err
	}
	count, err := queryInt(q, "count", 100, 1, maxDigitsShown)
	if err != nil {
		return err
	}
	digits := []digitJSON{}
	for i := offset; i < min(offset+count, n); i++ {
		digits = append(digits, ld.digit(i))
	}
	return writeJSON(w, http.StatusOK, ld.answer(lm, map[string]any{
		"total": n, "accuracy": ld.conf.Accuracy(), "errors": n - ld.conf.Correct(), "digits": digits,
	}))
}

// lookConfusion answers the confusion matrix of the test set.
func (s *Server) lookConfusion(w http.ResponseWriter, r *http.Request) error {
	lm, ld, err := s.look(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ld.answer(lm, map[string]any{
		"classes": ld.conf.Classes(), "counts": ld.conf.Counts, "accuracy": ld.conf.Accuracy(), "total": ld.conf.Total(),
	}))
}

// lookCell answers the test digits of true class ?true= read as ?pred=,
// the most confident first.
func (s *Server) lookCell(w http.ResponseWriter, r *http.Request) error {
	lm, ld, err := s.look(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	k := ld.conf.Classes() - 1
	if q.Get("true") == "" || q.Get("pred") == "" {
		return badRequest("name the cell with ?true=CLASS&pred=CLASS, classes from 0 to %d", k)
	}
	t, err := queryInt(q, "true", 0, 0, k)
	if err != nil {
		return err
	}
	p, err := queryInt(q, "pred", 0, 0, k)
	if err != nil {
		return err
	}
	limit, err := queryInt(q, "limit", 100, 1, maxDigitsShown)
	if err != nil {
		return err
	}
	idx := ld.where(func(i int) bool { return ld.labels[i] == t && ld.pred[i] == p })
	return writeJSON(w, http.StatusOK, ld.answer(lm, map[string]any{
		"true": t, "pred": p, "count": len(idx), "digits": ld.digits(idx, limit),
	}))
}

// lookMistakes answers the wrong answers the model was surest of.
func (s *Server) lookMistakes(w http.ResponseWriter, r *http.Request) error {
	lm, ld, err := s.look(r)
	if err != nil {
		return err
	}
	count, err := queryInt(r.URL.Query(), "count", 24, 1, maxDigitsShown)
	if err != nil {
		return err
	}
	idx := ld.where(func(i int) bool { return ld.labels[i] != ld.pred[i] })
	return writeJSON(w, http.StatusOK, ld.answer(lm, map[string]any{
		"count": len(idx), "digits": ld.digits(idx, count),
	}))
}

// where lists the test digits for which keep holds, the model's surest
// answer first (ties by index).
func (ld *lookData) where(keep func(i int) bool) []int {
	classes := len(ld.probs) / len(ld.pred)
	var idx []int
	for i := range ld.pred {
		if keep(i) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return ld.probs[idx[a]*classes+ld.pred[idx[a]]] > ld.probs[idx[b]*classes+ld.pred[idx[b]]]
	})
	return idx
}

func (ld *lookData) digits(idx []int, limit int) []digitJSON {
	out := []digitJSON{}
	for _, i := range idx[:min(limit, len(idx))] {
		out = append(out, ld.digit(i))
	}
	return out
}

// kernelImage is one unit's weights (a Dense unit over a grey picture's
// pixels) or one filter (a Conv2D kernel) as a picture.
type kernelImage struct {
	H      int       `json:"height"`
	W      int       `json:"width"`
	Values []float32 `json:"values"` // row-major
}

// lookWeights answers the first layer's weights as pictures: for Dense on
// a grey picture's pixels (784 of MNIST's), one picture per unit; for
// Conv2D, one KH×KW picture per filter (of the first input channel).
func (s *Server) lookWeights(w http.ResponseWriter, r *http.Request) error {
	lm, err := s.model(r.URL.Query().Get("model"))
	if err != nil {
		return err
	}
	h, wd := mnist.Side, mnist.Side
	if pi, err := pictureInputOf(lm.ref.Name, lm.model); err == nil && pi.Channels == 1 {
		h, wd = pi.Height, pi.Width
	}
	for _, l := range lm.model.Layers() {
		for _, p := range l.Params() {
			if !strings.HasSuffix(p.Name, "/kernel") {
				continue
			}
			imgs, err := kernelImages(p.Value.Shape(), p.Value.Data(), h, wd)
			if err != nil {
				return err
			}
			limit := 0.0
			for _, v := range p.Value.Data() {
				limit = max(limit, float64(abs32(v)))
			}
			return writeJSON(w, http.StatusOK, map[string]any{
				"model": lm.ref.Name, "layer": l.Name(), "class_name": l.ClassName(), "shape": p.Value.Shape(),
				"limit": limit, "images": imgs,
			})
		}
	}
	return errorf(http.StatusUnprocessableEntity, "model %q has no layer with a kernel to show", lm.ref.Name)
}

// kernelImages cuts a kernel into pictures: (h·w, units), a Dense layer
// on an h×w grey picture's pixels, into units pictures of h×w; (KH, KW,
// C, F) into F pictures of KH×KW.
func kernelImages(shape []int, v []float32, h, w int) ([]kernelImage, error) {
	var out []kernelImage
	switch {
	case len(shape) == 2 && shape[0] == h*w:
		units := shape[1]
		for u := 0; u < min(units, maxKernelsShow); u++ {
			img := kernelImage{H: h, W: w, Values: make([]float32, shape[0])}
			for i := range img.Values {
				img.Values[i] = v[i*units+u]
			}
			out = append(out, img)
		}
	case len(shape) == 4:
		kh, kw, c, f := shape[0], shape[1], shape[2], shape[3]
		for k := 0; k < min(f, maxKernelsShow); k++ {
			img := kernelImage{H: kh, W: kw, Values: make([]float32, kh*kw)}
			for i := range img.Values {
				img.Values[i] = v[i*c*f+k] // channel 0 of pixel i
			}
			out = append(out, img)
		}
	default:
		return nil, errorf(http.StatusUnprocessableEntity, "the first kernel has shape %s, which the studio cannot draw as pictures "+
			"(it draws Conv2D, and Dense on the %d×%d pixels of a grey input)", tensor.ShapeString(shape, true), h, w)
	}
	return out, nil
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
