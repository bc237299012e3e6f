package studio

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/pidfile"
	"github.com/goras-ml/goras/saving"
)

// jsonNum is a number that JSON shows as null when it is NaN or infinite
// (a History has NaN where an epoch did not log a name; JSON has no NaN).
type jsonNum float64

// MarshalJSON writes the number, or null.
func (n jsonNum) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func numMap(logs map[string]float64) map[string]jsonNum {
	out := make(map[string]jsonNum, len(logs))
	for k, v := range logs {
		out[k] = jsonNum(v)
	}
	return out
}

func nums(v []float64) []jsonNum {
	out := make([]jsonNum, len(v))
	for i, f := range v {
		out[i] = jsonNum(f)
	}
	return out
}

// historyJSON is a History as the API shows it.
type historyJSON struct {
	Epoch   []int                `json:"epoch"`
	Metrics map[string][]jsonNum `json:"metrics"`
	Seconds []jsonNum            `json:"seconds"`
}

func toHistoryJSON(h *goras.History) historyJSON {
	out := historyJSON{Epoch: append([]int{}, h.Epoch...), Metrics: map[string][]jsonNum{}, Seconds: nums(h.Seconds)}
	for k, v := range h.History {
		out.Metrics[k] = nums(v)
	}
	return out
}

// runJSON is a run as GET /api/runs lists it.
type runJSON struct {
	Name     string             `json:"name"`
	State    string             `json:"state"`
	Source   string             `json:"source"` // studio, cli or upload
	Error    string             `json:"error,omitempty"`
	Settings *TrainSettings     `json:"settings,omitempty"`
	Created  *time.Time         `json:"created,omitempty"`
	HasModel bool               `json:"has_model"`
	Epochs   int                `json:"epochs"`
	Last     map[string]jsonNum `json:"last"`
	Epoch    string             `json:"epoch_line,omitempty"`
	Progress string             `json:"progress,omitempty"`
}

// describeRun gathers what the API says about a run, with its History.
func (s *Server) describeRun(r *runEntry) (runJSON, *goras.History) {
	out := runJSON{Name: r.Name, State: stateSaved, Source: "cli", HasModel: r.Model != "", Last: map[string]jsonNum{}}
	if r.MetaErr != nil {
		out.Error = r.MetaErr.Error()
	}
	if m := r.Meta; m != nil {
		out.Source, out.Settings, out.State, out.Error = m.Source, m.Settings, m.State, m.Error
		created := m.Created
		out.Created = &created
		if m.State == stateRunning && !lockHeld(r.Dir) {
			out.State = stateInterrupted
		}
	}
	if j := s.jobs.get(r.Name); j != nil {
		sn := j.snap()
		out.State, out.Error, out.Epoch, out.Progress = sn.state, sn.err, sn.epoch, sn.progress
	}
	h, err := s.runs.history(r)
	if err != nil {
		if out.Error == "" {
			out.Error = err.Error()
		}
		h = &goras.History{History: map[string][]float64{}}
	}
	out.Epochs = len(h.Epoch)
	for _, k := range h.Keys() {
		if v, ok := h.Last(k); ok {
			out.Last[k] = jsonNum(v)
		}
	}
	return out, h
}

// listRuns answers every run, newest first.
func (s *Server) listRuns(w http.ResponseWriter, _ *http.Request) error {
	runs, err := s.runs.scan()
	if err != nil {
		return err
	}
	out := []runJSON{}
	for _, name := range sortedNames(runs) {
		rj, _ := s.describeRun(runs[name])
		out = append(out, rj)
	}
	return writeJSON(w, http.StatusOK, out)
}

// getRun answers one run with its history and, while it trains, the live
// curve's points.
func (s *Server) getRun(w http.ResponseWriter, r *http.Request) error {
	run, err := s.runs.get(r.PathValue("name"))
	if err != nil {
		return err
	}
	rj, h := s.describeRun(run)
	var batches []batchPoint
	if j := s.jobs.get(run.Name); j != nil {
		j.mu.Lock()
		h = &goras.History{Epoch: append([]int{}, j.hist.Epoch...), History: map[string][]float64{}, Seconds: append([]float64{}, j.hist.Seconds...)}
		for k, v := range j.hist.History {
			h.History[k] = append([]float64{}, v...)
		}
		batches = append(batches, j.batches...)
		j.mu.Unlock()
	}
	return writeJSON(w, http.StatusOK, struct {
		runJSON
		History historyJSON  `json:"history"`
		Batches []batchPoint `json:"batches"`
	}{rj, toHistoryJSON(h), batches})
}

// startRun starts training a new run from TrainSettings; it answers 201
// with the run once its folder exists and its job has started, 409 when
// Options.MaxTraining runs are training already (before it loads a model
// or makes a folder).
func (s *Server) startRun(w http.ResponseWriter, r *http.Request) error {
	var t TrainSettings
	if err := s.readJSON(w, r, &t); err != nil {
		return err
	}
	now := time.Now()
	spec, err := t.resolve(now)
	if err != nil {
		return err
	}
	if err := s.jobs.takeSlot(t.Name); err != nil {
		return err
	}
	started := false
	defer func() {
		if !started {
			s.jobs.freeSlot()
		}
	}()
	var from *goras.Model
	if t.FromModel != "" {
		ref, err := s.modelRef(t.FromModel)
		if err != nil {
			return err
		}
		if from, err = loadModel(ref); err != nil {
			return errorf(http.StatusUnprocessableEntity, "%v", err)
		}
		if names := from.ClassNames(); names != nil {
			return errorf(http.StatusUnprocessableEntity, "model %q names its classes (%s): it reads other pictures than MNIST's digits, "+
				"and the studio trains on MNIST only; train it with goras train and the --dataset or --data it was trained on "+
				"(--checkpoint-dir with --resume goes on from a checkpoint)", ref.Name, fewNames(names))
		}
	}
	m, err := t.newModel(spec, from)
	if err != nil {
		return err
	}
	dir, err := s.runs.create(t.Name)
	if err != nil {
		return err
	}
	meta := &runMeta{Source: "studio", Settings: &t, State: stateRunning, Created: now}
	if err := writeMeta(dir, meta); err != nil {
		return err
	}
	release, err := takeLock(dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	j, err := s.jobs.add(t.Name, cancel)
	if err != nil {
		cancel()
		release()
		os.RemoveAll(dir) // made by this request, and no job will write it
		return err
	}
	fmt.Fprintf(s.opts.Log, "studio: run %s started: %s\n", t.Name, describeSettings(&t))
	// Described before train starts: it writes meta when the run ends,
	// which a short run does at once.
	rj, _ := s.describeRun(&runEntry{Name: t.Name, Dir: dir, Meta: meta})
	started = true // the slot is train's to free
	go s.train(ctx, j, dir, &t, m, meta, release)
	return writeJSON(w, http.StatusCreated, rj)
}

// describeSettings says in one line what a run does.
func describeSettings(t *TrainSettings) string {
	model := t.Network
	if t.FromModel != "" {
		model = "from " + t.FromModel
	}
	lr := "Keras's default learning rate"
	if t.LearningRate > 0 {
		lr = fmt.Sprintf("learning rate %g", t.LearningRate)
	}
	return fmt.Sprintf("model %s, loss %s, optimizer %s (%s), batch_size %d, epochs %d, seed %d",
		model, t.Loss, t.Optimizer, lr, t.BatchSize, t.Epochs, t.Seed)
}

// train is a job's goroutine: it fits m, then records how the run ended
// and frees its training slot.
func (s *Server) train(ctx context.Context, j *job, dir string, t *TrainSettings, m *goras.Model, meta *runMeta, release func()) {
	defer s.jobs.finished(j)
	var once sync.Once
	unlock := func() { once.Do(release) }
	defer unlock()
	fitErr, saveErr, trained := s.fit(ctx, j, dir, t, m)
	state, msg := endState(fitErr, saveErr, ctx)
	if trained && (fitErr == nil || state == stateStopped) {
		// The model as trained so far, a stopped epoch included, as
		// goras train keeps it after Ctrl-C; none for a run stopped
		// before its first batch (while its data loaded), whose weights
		// are only their initial values.
		if err := saveModel(m, filepath.Join(dir, modelFile)); err != nil {
			state, msg = stateFailed, err.Error()
		}
	}
	ended := time.Now()
	meta.State, meta.Error, meta.Ended = state, msg, &ended
	if err := writeMeta(dir, meta); err != nil && msg == "" {
		state, msg = stateFailed, err.Error()
	}
	// The run's files are final: the lock goes before the end is
	// announced, so that whoever hears it finds the folder free.
	unlock()
	// Adopted before the end is announced, so that whoever hears it finds
	// the model current (a fast run's test lost that race).
	if fileExists(filepath.Join(dir, modelFile)) {
		s.adoptIfNone(j.name)
	}
	// The slot too, so that whoever hears the end can start the next run.
	s.jobs.freeSlot()
	j.update(func() { j.state, j.err = state, msg })
	fmt.Fprintf(s.opts.Log, "studio: run %s %s %s\n", j.name, state, msg)
}

// fit loads the data and trains; it returns Fit's error, the first error
// saving the run (which stops training) and whether a batch was trained.
func (s *Server) fit(ctx context.Context, j *job, dir string, t *TrainSettings, m *goras.Model) (fitErr, saveErr error, began bool) {
	j.update(func() { j.progress = "loading MNIST…" })
	train, test, err := s.data.get(ctx)
	if err != nil {
		return err, nil, false
	}
	train, test = subset(train, t.TrainSize), subset(test, t.ValidationSize)
	x, y, err := prepare(train, m, m.Loss())
	if err != nil {
		return err, nil, false
	}
	xv, yv, err := prepare(test, m, m.Loss())
	if err != nil {
		return err, nil, false
	}
	steps := (train.X.N + t.BatchSize - 1) / t.BatchSize
	cb := newLiveCallback(j, dir, t.Epochs, steps)
	_, err = m.Fit(ctx, x, y, goras.Epochs(t.Epochs), goras.BatchSize(t.BatchSize), goras.Verbose(0),
		goras.Output(io.Discard), goras.Warnings(s.opts.Log), goras.ValidationData(xv, yv), goras.Callbacks(cb))
	return err, cb.saveErr, cb.trained
}

// stopRun cancels a run's job and waits a little for it to save.
func (s *Server) stopRun(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, err := s.runs.get(name); err != nil {
		return err
	}
	j := s.jobs.get(name)
	if j == nil || j.snap().state != stateRunning {
		return errorf(http.StatusConflict, "run %q is not training in this studio, so there is nothing to stop", name)
	}
	j.cancel()
	select {
	case <-j.done:
	case <-time.After(10 * time.Second):
	case <-r.Context().Done():
	}
	sn := j.snap()
	return writeJSON(w, http.StatusOK, map[string]string{"name": name, "state": sn.state})
}

// saveModel writes a model file atomically.
func saveModel(m *goras.Model, path string) error { return saving.Save(m, path) }

// takeLock marks a run folder as being written by this process; release
// removes the mark. The folder is new (os.Mkdir made it), so no other
// writer can hold it: the lock only tells other studios sharing the runs
// folder that the run is alive.
func takeLock(dir string) (release func(), err error) {
	path := filepath.Join(dir, lockFile)
	if err := pidfile.Create(path); err != nil {
		return nil, errorf(http.StatusConflict, "run folder %s is being written by another studio", filepath.Base(dir))
	}
	return func() { os.Remove(path) }, nil
}

// lockHeld reports whether a live process holds a run folder's lock.
func lockHeld(dir string) bool {
	pid, err := pidfile.Read(filepath.Join(dir, lockFile))
	switch {
	case err != nil:
		return false
	case pid == os.Getpid():
		return true // this studio: its jobs say more
	}
	return pidfile.Alive(pid)
}
