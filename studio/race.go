package studio

import (
	"math"
	"net/http"

	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// The race's surface, a function of two weights with a global minimum, a
// local one and a saddle between them:
//
//	f(x, y) = (x² − 1)² + 0.5·x + 2·y²
//
// Along y = 0 it is a tilted double well: the global minimum near x = −1.06
// (f ≈ −0.52), the local one near x = 0.93 (f ≈ 0.48), and between them,
// near x = 0.13, a point that is a maximum along x and a minimum along y: a
// saddle. Each optimizer starts from the same point; plain SGD rolls into
// the nearer (local) minimum, momentum can carry over the ridge.
func surface(x, y float64) float64 {
	a := x*x - 1
	return a*a + 0.5*x + 2*y*y
}

// surfaceGrad is f's gradient.
func surfaceGrad(x, y float64) (gx, gy float64) {
	return 4*x*(x*x-1) + 0.5, 4 * y
}

// The window the surface is drawn in.
const (
	raceXMin, raceXMax = -2.0, 2.0
	raceYMin, raceYMax = -1.5, 1.5
	maxRaceSteps       = 2000
)

// racer is one optimizer of the race, with its default learning rate
// (chosen so that each gets somewhere in a few hundred steps).
type racer struct {
	key  string // the query parameter lr_KEY sets its rate
	name string
	lr   float64
	make func(lr float64) (optimizers.Optimizer, error)
}

var racers = []racer{
	{"sgd", "SGD", 0.01, func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewSGD(optimizers.LearningRate(lr))
	}},
	{"momentum", "Momentum", 0.01, func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewSGD(optimizers.LearningRate(lr), optimizers.Momentum(0.9))
	}},
	{"adagrad", "AdaGrad", 0.1, func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewAdagrad(optimizers.LearningRate(lr))
	}},
	{"rmsprop", "RMSprop", 0.01, func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewRMSprop(optimizers.LearningRate(lr))
	}},
	{"adam", "Adam", 0.02, func(lr float64) (optimizers.Optimizer, error) {
		return optimizers.NewAdam(optimizers.LearningRate(lr))
	}},
}

// racePath is one optimizer's walk over the surface.
type racePath struct {
	Name         string       `json:"name"`
	LearningRate float64      `json:"learning_rate"`
	Points       [][2]float32 `json:"points"`
	Final        float64      `json:"final_loss"`
	Diverged     bool         `json:"diverged"`
}

// race runs every optimizer from (x0, y0) for steps steps on the surface;
// lrs gives each its learning rate, by racer key.
func race(x0, y0 float64, steps int, lrs map[string]float64) ([]racePath, error) {
	var out []racePath
	for _, rc := range racers {
		lr := lrs[rc.key]
		opt, err := rc.make(lr)
		if err != nil {
			return nil, badRequest("%s: %v", rc.name, err)
		}
		w, g := tensor.New(2), tensor.New(2)
		w.Data()[0], w.Data()[1] = float32(x0), float32(y0)
		vars, grads := []*tensor.Tensor{w}, []*tensor.Tensor{g}
		if err := opt.Build(vars); err != nil {
			return nil, err
		}
		p := racePath{Name: rc.name, LearningRate: lr, Points: [][2]float32{{w.Data()[0], w.Data()[1]}}}
		for range steps {
			x, y := float64(w.Data()[0]), float64(w.Data()[1])
			gx, gy := surfaceGrad(x, y)
			g.Data()[0], g.Data()[1] = float32(gx), float32(gy)
			opt.Apply(vars, grads)
			nx, ny := w.Data()[0], w.Data()[1]
			if math.IsNaN(float64(nx+ny)) || math.Abs(float64(nx)) > 100 || math.Abs(float64(ny)) > 100 {
				p.Diverged = true
				break
			}
			p.Points = append(p.Points, [2]float32{nx, ny})
		}
		last := p.Points[len(p.Points)-1]
		p.Final = surface(float64(last[0]), float64(last[1]))
		out = append(out, p)
	}
	return out, nil
}

// learnRace answers GET /api/learn/race: the paths of SGD, Momentum,
// AdaGrad, RMSprop and Adam (goras's optimizers) from ?x=&y= for ?steps=,
// each at its rate ?lr_sgd=, ?lr_momentum=, ?lr_adagrad=, ?lr_rmsprop=,
// ?lr_adam= (defaults in racers).
func (s *Server) learnRace(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	x0, err := queryFloat(q, "x", 1.8, raceXMin, raceXMax)
	if err != nil {
		return err
	}
	y0, err := queryFloat(q, "y", 1.2, raceYMin, raceYMax)
	if err != nil {
		return err
	}
	steps, err := queryInt(q, "steps", 300, 1, maxRaceSteps)
	if err != nil {
		return err
	}
	lrs := map[string]float64{}
	for _, rc := range racers {
		if lrs[rc.key], err = queryFloat(q, "lr_"+rc.key, rc.lr, 0, 10); err != nil {
			return err
		}
	}
	paths, err := race(x0, y0, steps, lrs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"start": [2]float64{x0, y0}, "steps": steps, "paths": paths})
}

// learnSurface answers GET /api/learn/race/surface: f on a grid of ?n=
// columns over the window, rows from top (y max) to bottom, for drawing.
func (s *Server) learnSurface(w http.ResponseWriter, r *http.Request) error {
	n, err := queryInt(r.URL.Query(), "n", 120, 4, 400)
	if err != nil {
		return err
	}
	rows := int(float64(n) * (raceYMax - raceYMin) / (raceXMax - raceXMin))
	vals := make([]float32, rows*n)
	for i := 0; i < rows; i++ {
		y := raceYMax - (raceYMax-raceYMin)*(float64(i)+0.5)/float64(rows)
		for j := 0; j < n; j++ {
			x := raceXMin + (raceXMax-raceXMin)*(float64(j)+0.5)/float64(n)
			vals[i*n+j] = float32(surface(x, y))
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"x": [2]float64{raceXMin, raceXMax}, "y": [2]float64{raceYMin, raceYMax},
		"columns": n, "rows": rows, "values": vals,
		"formula": "f(x, y) = (x² − 1)² + 0.5·x + 2·y²",
	})
}
