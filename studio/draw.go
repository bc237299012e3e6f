package studio

import (
	"fmt"
	"math"
	"net/http"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/tensor"
)

// maxMapsShown bounds the feature maps sent per layer.
const maxMapsShown = 64

// featureLayer is one image-shaped layer output shown on the Draw page.
type featureLayer struct {
	Name  string `json:"name"`
	Class string `json:"class_name"`
	H     int    `json:"height"`
	W     int    `json:"width"`
	C     int    `json:"channels"` // maps sent, at most maxMapsShown
	All   int    `json:"all_channels"`
	// Maps holds the maps one after another, each H×W bytes row-major,
	// each scaled from its own minimum (0) to its maximum (255).
	Maps []byte `json:"maps"`
}

// featureModel returns a model with the same weights as lm's whose outputs
// are every image-shaped (height, width, channels) layer output, then the
// model's own output; for a model with none, lm's model itself.
func (lm *loadedModel) featureModel() (*goras.Model, []featureLayer, error) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if lm.features != nil {
		return lm.features, lm.fLayers, nil
	}
	var convs int
	for _, t := range lm.model.Nodes() {
		if len(t.Shape()) == 3 {
			convs++
		}
	}
	if convs == 0 {
		lm.features = lm.model
		return lm.features, nil, nil
	}
	// NewModel builds the layers it is given afresh, so it works on a copy
	// of the model, whose weights are then put back.
	cp, err := loadModel(lm.ref)
	if err != nil {
		return nil, nil, err
	}
	saved := map[string][]float32{}
	for _, p := range cp.Params() {
		saved[p.Name] = append([]float32{}, p.Value.Data()...)
	}
	var outs []*goras.KerasTensor
	var fl []featureLayer
	for _, t := range cp.Nodes() {
		if s := t.Shape(); len(s) == 3 {
			outs = append(outs, t)
			fl = append(fl, featureLayer{Name: t.Layer().Name(), Class: t.Layer().ClassName(), H: s[0], W: s[1], C: min(s[2], maxMapsShown), All: s[2]})
		}
	}
	fm, err := goras.NewModel(cp.Inputs(), append(outs, cp.Outputs()[0]))
	if err != nil {
		return nil, nil, err
	}
	for _, p := range fm.Params() {
		v, ok := saved[p.Name]
		if !ok || len(v) != p.Value.Len() {
			return nil, nil, fmt.Errorf("studio: feature model of %s: weight %s does not match the model's", lm.ref.Name, p.Name)
		}
		copy(p.Value.Data(), v)
	}
	lm.features, lm.fLayers = fm, fl
	return fm, fl, nil
}

// drawResult is what POST /api/draw answers.
type drawResult struct {
	Model string `json:"model"`
	// Input is the picture as the model sees it, InputShape (height,
	// width, channels), row-major, in [0, 1].
	Input         []float32 `json:"input"`
	InputShape    []int     `json:"input_shape"`
	Probabilities []float32 `json:"probabilities"`
	Class         int       `json:"class"`
	// ClassName is Class's name; ClassNames every class's, index k naming
	// class k. Both are left out (null) for a model without names, whose
	// classes are MNIST's digits.
	ClassName  string         `json:"class_name,omitempty"`
	ClassNames []string       `json:"class_names"`
	Layers     []featureLayer `json:"layers"`
}

// draw answers POST /api/draw[?model=NAME]: a picture (the canvas, or one
// uploaded) in; the picture as the model sees it, the class probabilities
// and every image-shaped layer's feature maps out.
func (s *Server) draw(w http.ResponseWriter, r *http.Request) error {
	lm, err := s.model(r.URL.Query().Get("model"))
	if err != nil {
		return err
	}
	pi, err := pictureInputOf(lm.ref.Name, lm.model)
	if err != nil {
		return err
	}
	body, err := s.readBody(w, r, maxImageBody)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("file")
	if name == "" {
		name = "the drawing"
	}
	px, err := readPicture(body, name, pi)
	if err != nil {
		return err
	}
	fm, fl, err := lm.featureModel()
	if err != nil {
		return err
	}
	x, err := tensor.FromSlice(px, append([]int{1}, fm.InputShape()...)...)
	if err != nil {
		return err
	}
	outs, err := fm.PredictOutputs(x, goras.Verbose(0))
	if err != nil {
		return err
	}
	probs := outs[len(outs)-1].Data()
	if err := predict.CheckProbabilities(probs, "the studio"); err != nil {
		return errorf(http.StatusUnprocessableEntity, "model %q: %v", lm.ref.Name, err)
	}
	res := drawResult{Model: lm.ref.Name, Input: px, InputShape: []int{pi.Height, pi.Width, pi.Channels}, Probabilities: probs,
		Class: tensor.ArgMaxRow(probs), ClassNames: pi.names, Layers: []featureLayer{}}
	if res.Class < len(pi.names) {
		res.ClassName = pi.names[res.Class]
	}
	for i, l := range fl {
		l.Maps = mapsBytes(outs[i].Data(), l.H, l.W, l.All, l.C)
		res.Layers = append(res.Layers, l)
	}
	return writeJSON(w, http.StatusOK, res)
}

// mapsBytes turns the first shown channels of an NHWC sample (h, w, c)
// into one byte image per channel, each scaled from its own minimum to its
// maximum (a flat map is all 0).
func mapsBytes(v []float32, h, w, c, shown int) []byte {
	out := make([]byte, shown*h*w)
	for ch := 0; ch < shown; ch++ {
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for i := 0; i < h*w; i++ {
			x := v[i*c+ch]
			lo, hi = min(lo, x), max(hi, x)
		}
		if !(hi > lo) {
			continue
		}
		scale := 255 / (hi - lo)
		dst := out[ch*h*w : (ch+1)*h*w]
		for i := range dst {
			dst[i] = byte((v[i*c+ch]-lo)*scale + 0.5)
		}
	}
	return out
}
