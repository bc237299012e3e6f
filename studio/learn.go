package studio

import (
	"math"
	"net/http"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// Bounds of the one-weight descent.
const (
	curvePoints     = 61
	maxDescentSteps = 100
	maxLearnSamples = 2000
)

// paramJSON is one weight tensor of a model.
type paramJSON struct {
	Name      string `json:"name"`
	Shape     []int  `json:"shape"`
	Size      int    `json:"size"`
	Trainable bool   `json:"trainable"`
}

// learnParams lists a model's weight tensors, for choosing the weight the
// descent walks along.
func (s *Server) learnParams(w http.ResponseWriter, r *http.Request) error {
	lm, err := s.model(r.URL.Query().Get("model"))
	if err != nil {
		return err
	}
	out := []paramJSON{}
	for _, p := range lm.model.Params() {
		out = append(out, paramJSON{p.Name, p.Value.Shape(), p.Value.Len(), p.Trainable})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"model": lm.ref.Name, "params": out})
}

// descentStep is one step of gradient descent along the weight.
type descentStep struct {
	W     jsonNum `json:"w"`
	Loss  jsonNum `json:"loss"`
	Slope jsonNum `json:"slope"`
}

// descentQuery is what /api/learn/descent is asked.
type descentQuery struct {
	model          string // the model's name, for messages
	param          string
	index, steps   int
	samples        int
	lr, span, from float64
	fromSet        bool
}

func readDescentQuery(r *http.Request) (descentQuery, error) {
	q := r.URL.Query()
	d := descentQuery{param: q.Get("param"), fromSet: q.Get("start") != ""}
	var err error
	if d.index, err = queryInt(q, "index", 0, 0, math.MaxInt32); err != nil {
		return d, err
	}
	if d.steps, err = queryInt(q, "steps", 20, 1, maxDescentSteps); err != nil {
		return d, err
	}
	if d.samples, err = queryInt(q, "samples", 256, 1, maxLearnSamples); err != nil {
		return d, err
	}
	if d.lr, err = queryFloat(q, "lr", 0.1, 0, 1e4); err != nil {
		return d, err
	}
	if d.span, err = queryFloat(q, "span", 1, 1e-4, 100); err != nil {
		return d, err
	}
	if d.from, err = queryFloat(q, "start", 0, -1e4, 1e4); err != nil {
		return d, err
	}
	return d, nil
}

// learnDescent answers GET /api/learn/descent: the model's real loss on
// the first test images as a function of one weight (all others as
// trained), over [trained-span, trained+span], and the steps of gradient
// descent along that weight alone from ?start= (default trained+0.75·span)
// with learning rate ?lr=. The slope is the central difference of the same
// loss; "curvature" is the curve's largest second difference, c, so that
// rates well under 2/c converge and rates over it jump out.
func (s *Server) learnDescent(w http.ResponseWriter, r *http.Request) error {
	dq, err := readDescentQuery(r)
	if err != nil {
		return err
	}
	ref, err := s.modelRef(r.URL.Query().Get("model"))
	if err != nil {
		return err
	}
	m, err := loadModel(ref) // its own copy: the weight is changed
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	var weight []float32
	for _, p := range m.Params() {
		if p.Name == dq.param {
			weight = p.Value.Data()
		}
	}
	if weight == nil {
		return badRequest("model %q has no weight %q; GET /api/learn/params lists them", ref.Name, dq.param)
	}
	if dq.index >= len(weight) {
		return badRequest("weight %s has %d values; index must be from 0 to %d, got %d", dq.param, len(weight), len(weight)-1, dq.index)
	}
	dq.model = ref.Name
	lossAt, err := s.lossAlong(r, m, weight, dq)
	if err != nil {
		return err
	}
	trained := float64(weight[dq.index])
	curve := make([][2]jsonNum, curvePoints)
	for i := range curve {
		wv := trained - dq.span + 2*dq.span*float64(i)/float64(curvePoints-1)
		l, err := lossAt(wv)
		if err != nil {
			return err
		}
		curve[i] = [2]jsonNum{jsonNum(wv), jsonNum(l)}
	}
	// The sharpest bend of the curve bounds the rates that converge
	// (w ← w − lr·c·(w − w*) shrinks for lr < 2/c): the page offers rates
	// as fractions of 1/c.
	curvature := 0.0
	dx := 2 * dq.span / float64(curvePoints-1)
	for i := 1; i+1 < curvePoints; i++ {
		curvature = max(curvature, float64(curve[i+1][1]-2*curve[i][1]+curve[i-1][1])/(dx*dx))
	}
	start := trained + 0.75*dq.span
	if dq.fromSet {
		start = dq.from
	}
	steps, diverged, err := descend(lossAt, start, dq.lr, dq.span*1e-3, dq.steps, trained, dq.span)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"model": ref.Name, "param": dq.param, "index": dq.index, "trained": trained, "learning_rate": dq.lr,
		"curve": curve, "steps": steps, "diverged": diverged, "curvature": jsonNum(curvature),
	})
}

// lossAlong returns the model's loss on the first images of its test set
// (MNIST's, or Fashion-MNIST's for a model of its classes) with the weight
// at index set to a value.
func (s *Server) lossAlong(r *http.Request, m *goras.Model, weight []float32, dq descentQuery) (func(float64) (float64, error), error) {
	if m.Loss() == nil { // a model saved uncompiled: judge it as the course does
		sgd, _ := optimizers.NewSGD()
		if err := m.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.CategoricalCrossentropy{}}); err != nil {
			return nil, errorf(http.StatusUnprocessableEntity, "%v", err)
		}
	}
	pi, err := pictureInputOf(dq.model, m)
	if err != nil {
		return nil, err
	}
	if pi.TestSet == "" {
		return nil, noTestSet(dq.model, pi, "the loss along a weight")
	}
	test, err := s.testSet(r.Context(), pi.TestSet)
	if err != nil {
		return nil, err
	}
	x, y, err := prepare(subset(test, dq.samples), m, m.Loss())
	if err != nil {
		return nil, err
	}
	return func(v float64) (float64, error) {
		weight[dq.index] = float32(v)
		logs, err := m.Evaluate(x, y, goras.BatchSize(dq.samples), goras.Verbose(0))
		if err != nil {
			return 0, err
		}
		return logs["loss"], nil
	}, nil
}

// descend takes steps of w ← w − lr·L'(w) from start, the slope by a
// central difference of step h; it stops early once w is far outside the
// curve (diverged).
func descend(loss func(float64) (float64, error), start, lr, h float64, steps int, centre, span float64) ([]descentStep, bool, error) {
	var out []descentStep
	wv := start
	for i := 0; i <= steps; i++ {
		l, err := loss(wv)
		if err != nil {
			return nil, false, err
		}
		lp, err := loss(wv + h)
		if err != nil {
			return nil, false, err
		}
		lm, err := loss(wv - h)
		if err != nil {
			return nil, false, err
		}
		slope := (lp - lm) / (2 * h)
		out = append(out, descentStep{jsonNum(wv), jsonNum(l), jsonNum(slope)})
		if math.IsNaN(l) || math.Abs(wv-centre) > 20*span {
			return out, true, nil
		}
		wv -= lr * slope
	}
	return out, false, nil
}
