package studio

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

//go:embed assets
var assets embed.FS

// Options configure a Server. The zero value serves the folder "runs" with
// real MNIST (and Fashion-MNIST for models of its classes).
type Options struct {
	// Dir is the runs folder (see the package doc), created if missing.
	// Default "runs".
	Dir string
	// Model is a model file the pages and the API use until the user picks
	// another; "" for none (a run's model is then the current one once it
	// has one). It is known by its file name without the extension.
	Model string
	// LoadData returns MNIST's training and test sets; it is called once,
	// the first time a page needs data. Default: mnist.LoadData, which finds
	// or fetches the real files. Tests give small sets of their own.
	LoadData func(ctx context.Context) (train, test mnist.Dataset, err error)
	// LoadFashion returns Fashion-MNIST's training and test sets, on which
	// the Look and Learn pages judge a model carrying Fashion-MNIST's class
	// names; it is called once, the first time such a page needs them.
	// Default: fashionmnist.LoadData. Tests give small sets of their own.
	LoadFashion func(ctx context.Context) (train, test mnist.Dataset, err error)
	// Log receives a line for each notable event: a run started or ended,
	// where MNIST came from. Default: nothing is logged.
	Log io.Writer
	// AnyHost serves requests whatever host they name. By default only
	// loopback names (localhost, 127.0.0.1, [::1]) are served, so that a web
	// page cannot reach the studio by rebinding its own name to 127.0.0.1;
	// set it when the studio listens on another address on purpose.
	AnyHost bool
	// MaxTraining is how many runs may train at once; a start beyond it is
	// answered 409 naming the runs training. Default 1: a run's Fit already
	// computes on every core, so two at once take as long as one after the
	// other, and each holds its own float32 copy of its training images
	// (190 MB for all of MNIST's).
	MaxTraining int
	// MaxHeavyRequests is how many requests that compute may be served at
	// once: predictions and drawings, the Look and Learn pages' answers on a
	// model, loading, listing, inspecting or uploading models, and the
	// export of every run (see Server.routes). One more is answered 503 with Retry-After, not queued.
	// Default 8: twice what the busiest page (Look) asks at once, so that two
	// tabs fit; each request computes on every core already and may hold
	// hundreds of MB, so more at once would only share the cores and add to
	// the memory.
	MaxHeavyRequests int
}

// Defaults of Options.
const (
	defaultMaxTraining      = 1
	defaultMaxHeavyRequests = 8
)

// Server is the studio: an http.Handler serving the pages and the API.
// Its methods may be called concurrently. Close it to stop its training
// jobs.
//
// The Server bounds what it does at once (Options.MaxTraining and
// MaxHeavyRequests), the size of request bodies and the time they take to
// arrive; the http.Server serving it should bound the rest: a
// ReadHeaderTimeout and an IdleTimeout (no WriteTimeout or ReadTimeout,
// which would cut the event streams of runs in training).
type Server struct {
	opts    Options
	runs    *runStore
	models  *modelCache
	data    *dataSource // MNIST
	fashion *dataSource // Fashion-MNIST
	jobs    *jobSet
	heavy   chan struct{} // a slot per heavy request being served
	handler http.Handler

	// bodyGrace is the time a request body may take on top of its size at
	// bodyRate (see limitBody); tests shorten it.
	bodyGrace time.Duration
	// heavyHook, when set, is called by every heavy request once it holds
	// its slot: tests use it to keep requests in flight.
	heavyHook func(r *http.Request)

	mu       sync.Mutex
	current  string // the current model's name, "" for none
	flagName string // the name of Options.Model, "" when not given
}

// New makes a studio serving opts.Dir, which it creates if needed. A
// model file given in opts.Model must load.
func New(opts Options) (*Server, error) {
	if opts.Dir == "" {
		opts.Dir = "runs"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.MaxTraining < 1 {
		opts.MaxTraining = defaultMaxTraining
	}
	if opts.MaxHeavyRequests < 1 {
		opts.MaxHeavyRequests = defaultMaxHeavyRequests
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("studio: runs folder: %w", err)
	}
	s := &Server{opts: opts, runs: &runStore{dir: opts.Dir}, models: newModelCache(8),
		heavy: make(chan struct{}, opts.MaxHeavyRequests), bodyGrace: defaultBodyGrace}
	s.data = newDataSource(opts.LoadData, opts.Log)
	s.fashion = newFashionSource(opts.LoadFashion, opts.Log)
	s.jobs = newJobSet(opts.MaxTraining)
	if opts.Model != "" {
		name := fileStem(opts.Model)
		if checkName("model", name) != nil {
			name = "model"
		}
		if _, err := s.models.get(modelRef{Name: name, Path: opts.Model}); err != nil {
			return nil, fmt.Errorf("studio: --model: %w", err)
		}
		s.flagName, s.current = name, name
	}
	s.handler = guard(s.routes(), opts.AnyHost)
	return s, nil
}

// ServeHTTP serves the pages and the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close stops every training job and waits until each has saved its run.
func (s *Server) Close() error {
	s.jobs.stopAll()
	return nil
}

// routes lists every path the studio answers; docs/studio.md documents
// the /api ones. Those that load models or compute on them, or read every
// run's history (the export), are heavy: at most Options.MaxHeavyRequests
// of them are served at once (the race of the optimizers is on a formula,
// and light). Training runs are bounded by Options.MaxTraining instead
// (see startRun).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	heavy := s.heavyRequest
	api := map[string]methods{
		"/api/info":               {"GET": s.info},
		"/api/current":            {"GET": s.getCurrent, "POST": heavy(s.setCurrent)},
		"/api/runs":               {"GET": s.listRuns, "POST": s.startRun},
		"/api/runs/{name}":        {"GET": s.getRun},
		"/api/runs/{name}/events": {"GET": s.runEvents},
		"/api/runs/{name}/stop":   {"POST": s.stopRun},
		"/api/export/runs.csv":    {"GET": heavy(s.exportRuns)},
		"/api/models":             {"GET": heavy(s.listModels), "POST": heavy(s.uploadModel)},
		"/api/models/{name}":      {"GET": heavy(s.inspectModel)},
		"/api/models/{name}/file": {"GET": s.downloadModel},
		"/api/predict":            {"POST": heavy(s.predict)},
		"/api/draw":               {"POST": heavy(s.draw)},
		"/api/look/digits":        {"GET": heavy(s.lookDigits)},
		"/api/look/confusion":     {"GET": heavy(s.lookConfusion)},
		"/api/look/cell":          {"GET": heavy(s.lookCell)},
		"/api/look/mistakes":      {"GET": heavy(s.lookMistakes)},
		"/api/look/weights":       {"GET": heavy(s.lookWeights)},
		"/api/learn/params":       {"GET": heavy(s.learnParams)},
		"/api/learn/descent":      {"GET": heavy(s.learnDescent)},
		"/api/learn/race":         {"GET": s.learnRace},
		"/api/learn/race/surface": {"GET": s.learnSurface},
	}
	for path, ms := range api {
		mux.Handle(path, ms)
	}
	mux.Handle("/api/", methods{"GET": notFound, "POST": notFound, "PUT": notFound, "DELETE": notFound})
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	mux.Handle("/", methods{"GET": func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path != "/" && !strings.HasPrefix(r.URL.Path, "/assets/") {
			return errorf(http.StatusNotFound, "no page %s; the studio is at /", r.URL.Path)
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; frame-ancestors 'none'")
		if r.URL.Path != "/" {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/assets")
			files.ServeHTTP(w, r2)
			return nil
		}
		files.ServeHTTP(w, r)
		return nil
	}})
	return mux
}

func notFound(_ http.ResponseWriter, r *http.Request) error {
	return errorf(http.StatusNotFound, "no API endpoint %s %s; docs/studio.md lists them", r.Method, r.URL.Path)
}

// info tells the pages what they can offer: networks, optimizers, losses,
// the current model.
func (s *Server) info(w http.ResponseWriter, _ *http.Request) error {
	type network struct {
		Name         string  `json:"name"`
		Description  string  `json:"description"`
		Loss         string  `json:"loss"`
		Optimizer    string  `json:"optimizer"`
		LearningRate float64 `json:"learning_rate"`
		Epochs       int     `json:"epochs"`
		BatchSize    int     `json:"batch_size"`
	}
	var nets []network
	for _, n := range applications.Names() {
		spec, err := applications.Get(n)
		if err != nil {
			return err
		}
		nets = append(nets, network{n, spec.Description, spec.Loss, spec.Optimizer, spec.LearningRate, spec.Epochs, spec.BatchSize})
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"version":    goras.Version,
		"networks":   nets,
		"optimizers": optimizers.Names(),
		"losses":     losses.Names(),
		"current":    s.currentName(),
		"max_upload": MaxUpload,
	})
}

// currentName is the current model's name, "" for none.
func (s *Server) currentName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// getCurrent answers {"model": NAME}.
func (s *Server) getCurrent(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"model": s.currentName()})
}

// setCurrent makes the model named in {"model": NAME} the current one.
func (s *Server) setCurrent(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Model string `json:"model"`
	}
	if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	ref, err := s.modelRef(req.Model)
	if err != nil {
		return err
	}
	if _, err := s.models.get(ref); err != nil {
		return errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	s.mu.Lock()
	s.current = ref.Name
	s.mu.Unlock()
	return writeJSON(w, http.StatusOK, map[string]string{"model": ref.Name})
}

// adoptIfNone makes name the current model when there is none yet, so that
// the first run trained gives the other pages a model.
func (s *Server) adoptIfNone(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == "" {
		s.current = name
	}
}

// modelRef resolves a model name: the --model file, a run's model, or
// (name "") the current model.
func (s *Server) modelRef(name string) (modelRef, error) {
	if name == "" {
		if name = s.currentName(); name == "" {
			return modelRef{}, errorf(http.StatusNotFound, "no model chosen yet: train one on the Train page, upload one on the Models page, "+
				"start the studio with --model FILE, or name one with ?model=NAME")
		}
	}
	if err := checkName("model", name); err != nil {
		return modelRef{}, err
	}
	s.mu.Lock()
	flag := s.flagName
	s.mu.Unlock()
	if name == flag {
		return modelRef{Name: name, Path: s.opts.Model}, nil
	}
	run, err := s.runs.get(name)
	if err != nil {
		return modelRef{}, errorf(http.StatusNotFound, "no model named %q: the runs folder has no run of that name; GET /api/models lists the models", name)
	}
	if run.Model == "" {
		return modelRef{}, errorf(http.StatusNotFound, "run %q has no model yet (it saves one after its first epoch)", name)
	}
	return modelRef{Name: name, Path: run.Model, Checkpoint: run.Checkpoint}, nil
}

// fileStem is a file's base name without its extension.
func fileStem(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}
