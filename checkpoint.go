package goras

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goras-ml/goras/internal/safetensors"
)

// A checkpoint is a model file as Save writes it (weights, non-trainable
// state, architecture, compile settings, seed) plus everything training
// needs to go on exactly where it stopped:
//
//	tensors "optimizer/<name>"  every optimizer Variable (iteration count,
//	                            learning rate, slots such as Adam's m and v)
//	metadata "checkpoint"       JSON: the epoch, the optimizer's exact step
//	                            count and learning rate, the state of every
//	                            random generator (shuffling, Dropout, the
//	                            augmentation layers) and the History so far
//	metadata "checkpoint_sha256" a digest of all the above, so that a file
//	                            damaged after it was written is refused
//
// Resuming from it (LoadCheckpoint, then Fit with InitialEpoch(Epoch+1))
// gives the same weights, bit for bit, as a run that never stopped.

const (
	optimizerPrefix = "optimizer/"
	checkpointKey   = "checkpoint"
	digestKey       = "checkpoint_sha256"
)

// ErrNoCheckpoint is returned (wrapped) by LatestCheckpoint when the
// directory holds no checkpoint file at all, as on a first run: start
// training from scratch then. A directory whose checkpoints all fail to
// load gives another error.
var ErrNoCheckpoint = errors.New("no checkpoint")

// Checkpoint describes a checkpoint read by LoadCheckpoint or
// LatestCheckpoint, besides the model it restores.
type Checkpoint struct {
	// Path is the file read.
	Path string
	// Epoch is the last epoch the checkpoint has completed, counted from 0
	// as Fit and callbacks count: resume with InitialEpoch(Epoch+1).
	Epoch int
	// History holds the epochs up to Epoch as they were saved (Params and
	// Seconds included); never nil. Concat appends the resumed run's.
	History *History
	// Skipped lists the newer checkpoints that LatestCheckpoint passed over
	// because they did not load, newest first, each error naming the file
	// and what is wrong with it. Show them as warnings.
	Skipped []error
}

// checkpointJSON is the "checkpoint" metadata.
type checkpointJSON struct {
	Epoch     int           `json:"epoch"`
	Optimizer optimizerJSON `json:"optimizer"`
	RNG       RandomState   `json:"rng"`
	History   historyJSON   `json:"history"`
}

// optimizerJSON keeps what the float32 Variables cannot hold exactly: the
// step count and a learning rate that is not float32 (0.001).
type optimizerJSON struct {
	Name         string   `json:"name"`
	Iterations   int64    `json:"iterations"`
	LearningRate *float64 `json:"learning_rate,omitempty"` // absent when a schedule drives it
}

// historyJSON is a History whose numbers may be NaN or infinite (a loss
// that diverged), which JSON numbers cannot be.
type historyJSON struct {
	Epoch   []int                  `json:"epoch"`
	History map[string][]jsonFloat `json:"history"`
	Seconds []jsonFloat            `json:"seconds"`
	Params  map[string]int         `json:"params"`
}

// jsonFloat writes NaN and ±Inf as the strings "NaN", "Infinity" and
// "-Infinity", and every other value in the shortest form that reads back
// to the same float64.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch s {
	case `"NaN"`:
		*f = jsonFloat(math.NaN())
		return nil
	case `"Infinity"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-Infinity"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", s)
	}
	*f = jsonFloat(v)
	return nil
}

func floatsJSON(v []float64) []jsonFloat {
	out := make([]jsonFloat, len(v))
	for i, x := range v {
		out[i] = jsonFloat(x)
	}
	return out
}

func floatsFromJSON(v []jsonFloat) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func toHistoryJSON(h *History) historyJSON {
	hj := historyJSON{History: map[string][]jsonFloat{}}
	if h == nil {
		return hj
	}
	hj.Epoch = h.Epoch
	for k, v := range h.History {
		hj.History[k] = floatsJSON(v)
	}
	hj.Seconds = floatsJSON(h.Seconds)
	hj.Params = h.Params
	return hj
}

func (hj historyJSON) history() *History {
	h := &History{Epoch: hj.Epoch, History: map[string][]float64{}, Seconds: floatsFromJSON(hj.Seconds), Params: hj.Params}
	for k, v := range hj.History {
		h.History[k] = floatsFromJSON(v)
	}
	return h
}

// SaveCheckpoint writes a checkpoint of the model to path after epoch
// (counted from 0, as Fit counts; resume with InitialEpoch(epoch+1)): the
// model as Save writes it, the optimizer's state, every random generator's
// state and h, the History so far (nil for none). The model must be
// compiled. The write is atomic (temporary file, fsync, rename): a crash
// leaves the old file or the new one, never a torn one.
//
// Limit: the optimizer's step count is restored exactly up to 2^24 steps
// (its Variables hold it as float32); past that, a schedule or Adam's bias
// correction may see a step count off by a few.
func (m *Model) SaveCheckpoint(path string, epoch int, h *History) error {
	if epoch < 0 {
		return fmt.Errorf("goras: SaveCheckpoint: epoch must be ≥ 0 (the last epoch completed, counted from 0), got %d", epoch)
	}
	if m.compiled == nil {
		return errors.New("goras: SaveCheckpoint: the model is not compiled; a checkpoint holds the optimizer's state, so compile the model first (to keep the model alone, use Save)")
	}
	if err := m.Build(); err != nil {
		return err
	}
	meta, err := m.modelMetadata()
	if err != nil {
		return err
	}
	ts := make([]safetensors.Tensor, 0, len(m.params))
	for _, p := range m.params {
		if strings.HasPrefix(p.Name, optimizerPrefix) {
			return fmt.Errorf("goras: SaveCheckpoint: weight %q starts with %q, which checkpoints keep for the optimizer's state; rename its layer", p.Name, optimizerPrefix)
		}
		ts = append(ts, safetensors.Tensor{Name: p.Name, Shape: p.Value.Shape(), Data: p.Value.Data()})
	}
	opt := m.compiled.optimizer
	for _, v := range opt.Variables() {
		ts = append(ts, safetensors.Tensor{Name: optimizerPrefix + v.Name, Shape: v.Value.Shape(), Data: v.Value.Data()})
	}
	ck := checkpointJSON{
		Epoch:     epoch,
		Optimizer: optimizerJSON{Name: opt.Name(), Iterations: opt.Iterations()},
		History:   toHistoryJSON(h),
	}
	for _, v := range opt.Variables() {
		if strings.HasSuffix(v.Name, "/learning_rate") { // no schedule drives the rate
			lr := opt.LearningRate()
			ck.Optimizer.LearningRate = &lr
		}
	}
	if ck.RNG, err = m.RandomState(); err != nil {
		return err
	}
	b, err := json.Marshal(ck)
	if err != nil {
		return fmt.Errorf("goras: SaveCheckpoint: the training state cannot be written as JSON: %w", err)
	}
	meta[checkpointKey] = string(b)
	meta[digestKey] = checkpointDigest(ts, meta)
	if err := safetensors.WriteFile(path, ts, meta); err != nil {
		return fmt.Errorf("goras: %w", err)
	}
	return nil
}

// modelMetadata is the metadata Save (and SaveCheckpoint) writes for a
// built model: format, version, seed, architecture and, when the model is
// compiled, its compile settings.
func (m *Model) modelMetadata() (map[string]string, error) {
	meta := map[string]string{"format": "goras", "goras_version": Version, "seed": strconv.FormatUint(m.seed, 10)}
	arch, err := m.ToJSON()
	if err != nil {
		return nil, err
	}
	meta["architecture"] = arch
	if m.compiled == nil {
		return meta, nil
	}
	b, err := json.Marshal(m.CompileConfig())
	if err != nil {
		return nil, fmt.Errorf("goras: the compile settings cannot be written as JSON: %w", err)
	}
	meta["compile"] = string(b)
	return meta, nil
}

// checkpointDigest is the SHA-256 of every tensor (name, shape, float bits,
// by name) and every metadata entry but the digest itself (by key), so that
// any byte changed after the write is noticed, in the data or the header.
func checkpointDigest(ts []safetensors.Tensor, meta map[string]string) string {
	h := sha256.New()
	var buf [4096]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(buf[:8], uint64(len(s)))
		h.Write(buf[:8])
		h.Write([]byte(s))
	}
	order := make([]int, len(ts))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return ts[order[a]].Name < ts[order[b]].Name })
	for _, i := range order {
		t := ts[i]
		str(t.Name)
		binary.LittleEndian.PutUint64(buf[:8], uint64(len(t.Shape)))
		h.Write(buf[:8])
		for _, d := range t.Shape {
			binary.LittleEndian.PutUint64(buf[:8], uint64(d))
			h.Write(buf[:8])
		}
		for j := 0; j < len(t.Data); j += len(buf) / 4 {
			chunk := t.Data[j:min(j+len(buf)/4, len(t.Data))]
			for k, v := range chunk {
				binary.LittleEndian.PutUint32(buf[4*k:], math.Float32bits(v))
			}
			h.Write(buf[:4*len(chunk)])
		}
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != digestKey {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		str(k)
		str(meta[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint (or
// CheckpointEvery): it rebuilds and compiles the model as Load does, puts
// back the optimizer's state and every random generator's state, and
// returns the epoch and History saved. Fit the model with
// InitialEpoch(ck.Epoch+1) and the same options otherwise to continue
// exactly as if training had not stopped. A file that is truncated,
// altered after it was written (its SHA-256 no longer matches) or does not
// match its own architecture is refused with an error naming the file and
// the fault.
func LoadCheckpoint(path string) (*Model, *Checkpoint, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("goras: %w", err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("goras: checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	raw, ok := f.Metadata[checkpointKey]
	if f.Metadata["format"] != "goras" || !ok {
		return nil, nil, fail("not a goras checkpoint (no %q in its __metadata__); a model file written by Save loads with goras.Load", checkpointKey)
	}
	if want, got := f.Metadata[digestKey], checkpointDigest(f.Tensors, f.Metadata); want != got {
		return nil, nil, fail("damaged: its content does not match the SHA-256 recorded when it was written (recorded %q, now %s); use an older checkpoint", want, got)
	}
	var ck checkpointJSON
	if err := json.Unmarshal([]byte(raw), &ck); err != nil {
		return nil, nil, fail("metadata %q is not valid: %v", checkpointKey, err)
	}
	if ck.Epoch < 0 {
		return nil, nil, fail("metadata epoch %d is negative", ck.Epoch)
	}
	model := &safetensors.File{Metadata: f.Metadata}
	optTensors := map[string]*safetensors.Tensor{}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if name, ok := strings.CutPrefix(t.Name, optimizerPrefix); ok {
			optTensors[name] = t
		} else {
			model.Tensors = append(model.Tensors, *t)
		}
	}
	m, err := modelFromFile(model)
	if err != nil {
		return nil, nil, fail("%v", err)
	}
	if m.compiled == nil {
		return nil, nil, fail("has no compile settings, so its optimizer state cannot be restored")
	}
	if err := m.restoreOptimizer(ck.Optimizer, optTensors); err != nil {
		return nil, nil, fail("%v", err)
	}
	if err := m.SetRandomState(ck.RNG); err != nil {
		return nil, nil, fail("%v", err)
	}
	return m, &Checkpoint{Path: path, Epoch: ck.Epoch, History: ck.History.history()}, nil
}

// modelFromFile rebuilds, fills and compiles a model from a file's
// architecture, seed, weights and compile settings: Load's steps on a file
// already read.
func modelFromFile(f *safetensors.File) (*Model, error) {
	arch, ok := f.Metadata["architecture"]
	if !ok {
		return nil, errors.New("has no architecture")
	}
	m, err := ModelFromJSON(arch)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "goras: "))
	}
	if s, ok := f.Metadata["seed"]; ok {
		if m.seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, fmt.Errorf("metadata seed %q is not an unsigned integer", s)
		}
	}
	if err := buildUntrusted(m); err != nil {
		return nil, fmt.Errorf("the architecture does not build: %v", err)
	}
	if err := m.setWeights(f); err != nil {
		return nil, err
	}
	if c, ok := f.Metadata["compile"]; ok {
		opts, err := compileFromJSON(c)
		if err != nil {
			return nil, fmt.Errorf("compile settings: %v", err)
		}
		if err := m.Compile(opts); err != nil {
			return nil, fmt.Errorf("compile settings: %v", err)
		}
	}
	return m, nil
}

// restoreOptimizer writes the saved Variables into the compiled optimizer,
// after checking that they are exactly its Variables, then its exact
// learning rate.
func (m *Model) restoreOptimizer(oj optimizerJSON, saved map[string]*safetensors.Tensor) error {
	opt := m.compiled.optimizer
	if oj.Name != opt.Name() {
		return fmt.Errorf("its optimizer state is for %s, the compile settings make a %s", oj.Name, opt.Name())
	}
	vars := opt.Variables()
	var problems []string
	want := map[string]bool{}
	for _, v := range vars {
		want[v.Name] = true
		t := saved[v.Name]
		switch {
		case t == nil:
			problems = append(problems, fmt.Sprintf("missing tensor %q of shape %v", optimizerPrefix+v.Name, v.Value.Shape()))
		case !sameShape(t.Shape, v.Value.Shape()):
			problems = append(problems, fmt.Sprintf("tensor %q has shape %v, the optimizer expects %v", optimizerPrefix+v.Name, t.Shape, v.Value.Shape()))
		}
	}
	for name, t := range saved {
		if !want[name] {
			problems = append(problems, fmt.Sprintf("unexpected tensor %q (shape %v) that is no state of the %s optimizer", optimizerPrefix+name, t.Shape, opt.Name()))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("the optimizer state does not match the optimizer: %s", strings.Join(problems, "; "))
	}
	for _, v := range vars {
		copy(v.Value.Data(), saved[v.Name].Data)
	}
	if oj.LearningRate != nil {
		if err := opt.SetLearningRate(*oj.LearningRate); err != nil {
			return fmt.Errorf("optimizer learning rate: %v", err)
		}
	}
	return nil
}

// Concat returns the History of h's epochs followed by later's, as a
// resumed run continues a checkpoint's: ck.History.Concat(fitHistory).
// Params are later's (the resumed Fit's epochs and steps). A name logged in
// only one part gets NaN for the other part's epochs, so that every series
// keeps one value per epoch. Neither h nor later is changed.
func (h *History) Concat(later *History) *History {
	out := &History{History: map[string][]float64{}}
	parts := []*History{h, later}
	for _, p := range parts {
		if p == nil {
			continue
		}
		out.Epoch = append(out.Epoch, p.Epoch...)
		out.Seconds = append(out.Seconds, p.Seconds...)
		if p.Params != nil {
			out.Params = map[string]int{}
			for k, v := range p.Params {
				out.Params[k] = v
			}
		}
	}
	keys := map[string]bool{}
	for _, p := range parts {
		if p != nil {
			for k := range p.History {
				keys[k] = true
			}
		}
	}
	for k := range keys {
		var series []float64
		for _, p := range parts {
			if p == nil {
				continue
			}
			v := p.History[k]
			for range len(p.Epoch) - len(v) { // missing early epochs
				series = append(series, math.NaN())
			}
			series = append(series, v...)
		}
		out.History[k] = series
	}
	return out
}

// Checkpoint files in a directory: ckpt-0001.safetensors holds the state
// after the first epoch (Keras's "Epoch 1/…", Fit's epoch 0), and so on.
var checkpointName = regexp.MustCompile(`^ckpt-([0-9]+)\.safetensors$`)

// CheckpointPath is the file CheckpointEvery writes in dir after epoch
// (counted from 0): dir/ckpt-0001.safetensors for epoch 0. The number is
// 1-based, as Keras prints epochs and numbers ModelCheckpoint's files.
func CheckpointPath(dir string, epoch int) string {
	return filepath.Join(dir, fmt.Sprintf("ckpt-%04d.safetensors", epoch+1))
}

// Checkpoints lists the checkpoint files in dir (ckpt-NNNN.safetensors),
// oldest epoch first. Temporary files of a write in progress or cut short
// are never listed: only files renamed into place count. A missing
// directory has none.
func Checkpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("goras: checkpoint directory: %w", err)
	}
	type numbered struct {
		n    uint64
		path string
	}
	var found []numbered
	for _, e := range entries {
		sub := checkpointName.FindStringSubmatch(e.Name())
		if sub == nil || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.ParseUint(sub[1], 10, 63)
		if err != nil {
			continue
		}
		found = append(found, numbered{n, filepath.Join(dir, e.Name())})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].n < found[j].n })
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.path
	}
	return out, nil
}

// checkpointNumber is the number in a checkpoint file's name.
func checkpointNumber(path string) int {
	sub := checkpointName.FindStringSubmatch(filepath.Base(path))
	if sub == nil {
		return -1
	}
	n, _ := strconv.Atoi(sub[1])
	return n
}

// LatestCheckpoint loads the newest checkpoint in dir that loads: it tries
// the files from the highest epoch down and passes over any that is
// truncated, damaged or inconsistent, listing each in Checkpoint.Skipped
// (with the reason) so that the caller can warn. With no checkpoint file in
// dir it returns an error that wraps ErrNoCheckpoint; when every file fails,
// an error listing each failure.
func LatestCheckpoint(dir string) (*Model, *Checkpoint, error) {
	paths, err := Checkpoints(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("goras: %w in %s (no ckpt-NNNN.safetensors file)", ErrNoCheckpoint, dir)
	}
	var skipped []error
	for i := len(paths) - 1; i >= 0; i-- {
		m, ck, err := LoadCheckpoint(paths[i])
		if err == nil && ck.Epoch+1 != checkpointNumber(paths[i]) {
			err = fmt.Errorf("goras: checkpoint %s: named for epoch %d but holds the state after epoch %d (renamed?)", paths[i], checkpointNumber(paths[i]), ck.Epoch+1)
		}
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		ck.Skipped = skipped
		return m, ck, nil
	}
	msgs := make([]string, len(skipped))
	for i, e := range skipped {
		msgs[i] = e.Error()
	}
	return nil, nil, fmt.Errorf("goras: none of the %d checkpoints in %s loads: %s", len(paths), dir, strings.Join(msgs, "; "))
}

// CheckpointCallback writes a checkpoint at the end of every epoch; see
// CheckpointEvery.
type CheckpointCallback struct {
	BaseCallback
	dir     string
	keep    int
	history *History
	start   time.Time
	cut     bool // training was stopped during the current epoch's batches
	err     error
}

// CheckpointEvery returns a callback that writes a checkpoint into dir at
// the end of every epoch (CheckpointPath: ckpt-0001.safetensors after the
// first), as Keras's BackupAndRestore backs up training, and then deletes
// all but the newest keep of them (keep ≤ 0 keeps every one). Files with a
// higher epoch than the one just written, left by an earlier run that went
// further, are deleted too: the directory follows the current run.
// LatestCheckpoint finds the newest to resume from.
//
// Put it last in Callbacks, so that what other callbacks log (learning_rate)
// is saved and a stop during an epoch's batches (TerminateOnNaN) is seen:
// an epoch cut short is not saved. When resuming, pass the checkpoint to
// Continue so that the saved History goes on from it. If a write fails, the
// callback stops training and Err reports why; check it after Fit.
//
// dir is created if needed; temporary files that a write killed midway left
// there are removed when training begins (one run per directory).
//
// Training that survives being stopped:
//
//	cb := goras.CheckpointEvery(dir, 3)
//	initial := 0
//	m, ck, err := goras.LatestCheckpoint(dir)
//	switch {
//	case errors.Is(err, goras.ErrNoCheckpoint):
//		m = build() // and Compile: a first run
//	case err != nil:
//		return err // every checkpoint is damaged
//	default:
//		for _, e := range ck.Skipped {
//			log.Printf("warning: %v", e)
//		}
//		cb.Continue(ck)
//		initial = ck.Epoch + 1
//	}
//	h, err := m.Fit(ctx, x, y, goras.Epochs(10), goras.InitialEpoch(initial),
//		goras.Callbacks(cb)) // cb last
//	// cb.Err(): a failed write; cb.History(): every epoch, resumed ones too
func CheckpointEvery(dir string, keep int) *CheckpointCallback {
	return &CheckpointCallback{dir: dir, keep: keep, history: &History{History: map[string][]float64{}}}
}

// Continue makes the History saved in the following checkpoints start from
// ck's (the checkpoint training resumes from) and returns c.
func (c *CheckpointCallback) Continue(ck *Checkpoint) *CheckpointCallback {
	if ck != nil && ck.History != nil {
		c.history = ck.History.Concat(nil)
	}
	return c
}

// History is the History the callback saves: the resumed checkpoint's
// epochs (Continue) then the epochs of this run. Params are those of the
// checkpoint resumed, if any: a callback does not see Fit's.
func (c *CheckpointCallback) History() *History { return c.history }

// Err is the error that made the callback stop training, or nil.
func (c *CheckpointCallback) Err() error { return c.err }

// Dir is the directory the checkpoints are written to.
func (c *CheckpointCallback) Dir() string { return c.dir }

// OnTrainBegin creates the directory and removes temporary files left by a
// write that was killed.
func (c *CheckpointCallback) OnTrainBegin(Logs) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		c.stop(fmt.Errorf("goras: checkpoint directory: %w", err))
		return
	}
	stale, _ := filepath.Glob(filepath.Join(c.dir, ".ckpt-*.safetensors.tmp-*"))
	for _, p := range stale {
		os.Remove(p)
	}
}

// OnEpochBegin starts the epoch's clock.
func (c *CheckpointCallback) OnEpochBegin(int, Logs) {
	c.start = time.Now()
	c.cut = false
}

// OnTrainBatchEnd notes whether training was stopped within the epoch.
func (c *CheckpointCallback) OnTrainBatchEnd(int, Logs) {
	c.cut = c.Model.StopTraining
}

// OnEpochEnd records the epoch in the History, writes its checkpoint and
// prunes the older ones.
func (c *CheckpointCallback) OnEpochEnd(epoch int, logs Logs) {
	if c.cut || c.err != nil {
		return
	}
	appendEpoch(c.history, epoch, logs, time.Since(c.start).Seconds())
	if err := c.Model.SaveCheckpoint(CheckpointPath(c.dir, epoch), epoch, c.history); err != nil {
		c.stop(err)
		return
	}
	if err := c.prune(epoch); err != nil {
		c.stop(err)
	}
}

func (c *CheckpointCallback) stop(err error) {
	c.err = err
	if c.Model != nil {
		c.Model.StopTraining = true
	}
}

// prune deletes the checkpoints beyond the newest keep up to epoch, and any
// of a later epoch (an abandoned run's).
func (c *CheckpointCallback) prune(epoch int) error {
	paths, err := Checkpoints(c.dir)
	if err != nil {
		return err
	}
	var upTo []string
	for _, p := range paths {
		if checkpointNumber(p) > epoch+1 {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("goras: pruning checkpoints: %w", err)
			}
			continue
		}
		upTo = append(upTo, p)
	}
	if c.keep <= 0 || len(upTo) <= c.keep {
		return nil
	}
	for _, p := range upTo[:len(upTo)-c.keep] {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("goras: pruning checkpoints: %w", err)
		}
	}
	return nil
}

// appendEpoch adds one epoch to h keeping every series one value per epoch
// (NaN where a name was not logged), as Fit's History has them.
func appendEpoch(h *History, epoch int, logs Logs, seconds float64) {
	n := len(h.Epoch)
	for k, v := range logs {
		s := h.History[k]
		for len(s) < n {
			s = append(s, math.NaN())
		}
		h.History[k] = append(s, v)
	}
	for k, s := range h.History {
		for len(s) < n+1 {
			s = append(s, math.NaN())
		}
		h.History[k] = s
	}
	h.Epoch = append(h.Epoch, epoch)
	h.Seconds = append(h.Seconds, seconds)
}
