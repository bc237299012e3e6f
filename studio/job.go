package studio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/progbar"
)

// maxBatchPoints bounds the points of the live training curve kept per
// epoch: enough for a smooth curve, few enough to send on every reconnect.
const maxBatchPoints = 100

// batchPoint is one point of the live curve: the running means of an
// epoch's batches so far. X counts epochs: 0.5 is half-way through the
// first.
type batchPoint struct {
	X    float64            `json:"x"`
	Logs map[string]jsonNum `json:"logs"`
}

// job is one training run in progress (or just ended) in this studio. Its
// goroutine writes its state; handlers read it under mu and wait on
// changed, which is closed and replaced at every change.
type job struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	state    string
	err      string
	hist     *goras.History
	batches  []batchPoint
	progress string // the Keras progress line of the current epoch
	epoch    string // "Epoch 3/10"
	changed  chan struct{}
}

// snapshot is a copy of a job's state, safe to use after mu is released.
type snapshot struct {
	state, err, progress, epoch string
	epochs                      int // len(hist.Epoch)
	batches                     int // len(batches)
	changed                     <-chan struct{}
}

func (j *job) snap() snapshot {
	j.mu.Lock()
	defer j.mu.Unlock()
	return snapshot{j.state, j.err, j.progress, j.epoch, len(j.hist.Epoch), len(j.batches), j.changed}
}

// update changes the state under mu and wakes every waiter.
func (j *job) update(f func()) {
	j.mu.Lock()
	f()
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
}

// jobSet holds the jobs of this studio, by run name, and the slots that
// bound how many train at once.
type jobSet struct {
	mu   sync.Mutex
	jobs map[string]*job
	// closed is set by stopAll: a job added after it would train on,
	// unwaited for, while the studio shuts down and the process exits.
	closed bool
	wg     sync.WaitGroup
	// slots is Options.MaxTraining; taken counts the slots of runs
	// training and of starts under way.
	slots, taken int
}

func newJobSet(slots int) *jobSet { return &jobSet{jobs: map[string]*job{}, slots: slots} }

// shuttingDown is the answer to a start once stopAll has begun.
func shuttingDown(name string) error {
	return errorf(http.StatusServiceUnavailable, "the studio is shutting down, so run %q was not started; start it again once the studio is back", name)
}

// takeSlot takes a training slot for run name, about to start; freeSlot
// gives it back, when the start fails or the run has ended. With every
// slot taken it answers 409 naming the runs training.
func (js *jobSet) takeSlot(name string) error {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.closed {
		return shuttingDown(name)
	}
	if js.taken < js.slots {
		js.taken++
		return nil
	}
	var training []string
	for n, j := range js.jobs {
		if j.snap().state == stateRunning {
			training = append(training, strconv.Quote(n))
		}
	}
	sort.Strings(training)
	busy, stop := "another run is starting", "wait until it trains, then stop it"
	switch len(training) {
	case 0:
	case 1:
		busy = "run " + training[0] + " is training"
	default:
		busy, stop = "runs "+strings.Join(training, ", ")+" are training", "stop one"
	}
	at := "one run at a time"
	if js.slots > 1 {
		at = fmt.Sprintf("%d runs at a time", js.slots)
	}
	return errorf(http.StatusConflict, "run %q was not started: the studio trains %s and %s; "+
		"%s (Stop on the Train page, or POST /api/runs/NAME/stop) or wait until it ends, then start again", name, at, busy, stop)
}

func (js *jobSet) freeSlot() {
	js.mu.Lock()
	js.taken--
	js.mu.Unlock()
}

// add registers a new job for run name; 409 if one is there already.
func (js *jobSet) add(name string, cancel context.CancelFunc) (*job, error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.closed {
		return nil, shuttingDown(name)
	}
	if old, ok := js.jobs[name]; ok && old.snap().state == stateRunning {
		return nil, errorf(http.StatusConflict, "run %q is training already; stop it first", name)
	}
	j := &job{name: name, cancel: cancel, done: make(chan struct{}), state: stateRunning,
		hist: &goras.History{History: map[string][]float64{}}, changed: make(chan struct{})}
	js.jobs[name] = j
	js.wg.Add(1)
	return j, nil
}

// get returns run name's job, nil when this studio has none.
func (js *jobSet) get(name string) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.jobs[name]
}

// finished marks a job's goroutine as ended.
func (js *jobSet) finished(j *job) {
	close(j.done)
	js.wg.Done()
}

// stopAll cancels every job and waits for their goroutines; no job
// starts after it.
func (js *jobSet) stopAll() {
	js.mu.Lock()
	js.closed = true
	for _, j := range js.jobs {
		j.cancel()
	}
	js.mu.Unlock()
	js.wg.Wait()
}

// liveCallback feeds a job's state from Fit: the running means after each
// batch, the Keras progress line, and each epoch's logs; after each epoch
// it saves the run's history and model, so that a restart or another page
// finds them.
type liveCallback struct {
	goras.BaseCallback
	job    *job
	dir    string
	epochs int
	steps  int
	every  int // record a batch point every this many steps
	epoch  int // the epoch running, from 0

	bar     *progbar.Bar
	line    lineWriter
	began   time.Time
	saveErr error
	trained bool // a batch has changed the weights
}

func newLiveCallback(j *job, dir string, epochs, steps int) *liveCallback {
	return &liveCallback{job: j, dir: dir, epochs: epochs, steps: steps, every: max(1, steps/maxBatchPoints)}
}

func (c *liveCallback) OnEpochBegin(epoch int, _ goras.Logs) {
	c.began, c.epoch = time.Now(), epoch
	c.line = lineWriter{}
	c.bar = progbar.New(&c.line, c.steps, 1, true, progbar.NoColor())
	c.job.update(func() {
		c.job.epoch = fmt.Sprintf("Epoch %d/%d", epoch+1, c.epochs)
		c.job.progress = ""
	})
}

func (c *liveCallback) OnTrainBatchEnd(batch int, logs goras.Logs) {
	c.trained = true
	step := batch + 1
	c.bar.Update(step, metricsOf(logs))
	if step%c.every != 0 && step != c.steps {
		return
	}
	p := batchPoint{X: float64(c.epoch) + float64(step)/float64(c.steps), Logs: numMap(logs)}
	c.job.update(func() {
		c.job.batches = append(c.job.batches, p)
		c.job.progress = c.line.current()
	})
}

func (c *liveCallback) OnEpochEnd(epoch int, logs goras.Logs) {
	c.bar.Finish(metricsOf(logs))
	seconds := time.Since(c.began).Seconds()
	var hist *goras.History
	c.job.update(func() {
		c.job.hist.Append(epoch, logs, seconds)
		c.job.progress = c.line.current()
		hist = c.job.hist
	})
	// Fit's goroutine is the only writer of the model and the history, so
	// saving here sees neither change.
	if err := c.save(hist); err != nil && c.saveErr == nil {
		c.saveErr = err
		c.Model.StopTraining = true
	}
}

// save writes the history and the model of the run.
func (c *liveCallback) save(h *goras.History) error {
	c.job.mu.Lock()
	err := h.Save(filepath.Join(c.dir, historyFile))
	c.job.mu.Unlock()
	if err != nil {
		return err
	}
	return saveModel(c.Model, filepath.Join(c.dir, modelFile))
}

// metricsOf orders logs as Keras's progress bar shows them: training
// names sorted, then the val_ ones sorted.
func metricsOf(logs goras.Logs) []progbar.Metric {
	keys := make([]string, 0, len(logs))
	for k := range logs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		va, vb := strings.HasPrefix(keys[a], "val_"), strings.HasPrefix(keys[b], "val_")
		if va != vb {
			return vb
		}
		return keys[a] < keys[b]
	})
	ms := make([]progbar.Metric, len(keys))
	for i, k := range keys {
		ms[i] = progbar.Metric{Name: k, Value: logs[k]}
	}
	return ms
}

// lineWriter keeps the last line an interactive progress bar drew: it
// redraws with "\r" and ends the epoch with "\n".
type lineWriter struct {
	buf, last []byte
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		switch b {
		case '\r':
			lw.buf = lw.buf[:0]
		case '\n':
			lw.last = append(lw.last[:0], lw.buf...)
			lw.buf = lw.buf[:0]
		default:
			lw.buf = append(lw.buf, b)
		}
	}
	return len(p), nil
}

func (lw *lineWriter) current() string {
	if len(lw.buf) > 0 {
		return string(lw.buf)
	}
	return string(lw.last)
}

// endState says how a Fit that returned err ended.
func endState(err, saveErr error, ctx context.Context) (string, string) {
	switch {
	case saveErr != nil:
		return stateFailed, saveErr.Error()
	case err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return stateStopped, ""
	case err != nil:
		return stateFailed, err.Error()
	}
	return stateDone, ""
}
