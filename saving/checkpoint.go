package saving

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/optimizers"
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
	History *goras.History
	// Skipped lists the newer checkpoints that LatestCheckpoint passed over
	// because they did not load, newest first, each error naming the file
	// and what is wrong with it. Show them as warnings.
	Skipped []error
}

// checkpointJSON is the "checkpoint" metadata.
type checkpointJSON struct {
	Epoch     int               `json:"epoch"`
	Optimizer optimizerJSON     `json:"optimizer"`
	RNG       goras.RandomState `json:"rng"`
	History   *goras.History    `json:"history"`
}

// optimizerJSON keeps what the float32 Variables cannot hold exactly: the
// step count and a learning rate that is not float32 (0.001).
type optimizerJSON struct {
	Name         string   `json:"name"`
	Iterations   int64    `json:"iterations"`
	LearningRate *float64 `json:"learning_rate,omitempty"` // absent when a schedule drives it
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
func SaveCheckpoint(m *goras.Model, path string, epoch int, h *goras.History) error {
	if epoch < 0 {
		return fmt.Errorf("goras: SaveCheckpoint: epoch must be ≥ 0 (the last epoch completed, counted from 0), got %d", epoch)
	}
	if m.Optimizer() == nil {
		return errors.New("goras: SaveCheckpoint: the model is not compiled; a checkpoint holds the optimizer's state, so compile the model first (to keep the model alone, use Save)")
	}
	if err := m.Build(); err != nil {
		return err
	}
	meta, err := modelMetadata(m)
	if err != nil {
		return err
	}
	ts := make([]safetensors.Tensor, 0, len(m.Params()))
	for _, p := range m.Params() {
		if strings.HasPrefix(p.Name, optimizerPrefix) {
			return fmt.Errorf("goras: SaveCheckpoint: weight %q starts with %q, which checkpoints keep for the optimizer's state; rename its layer", p.Name, optimizerPrefix)
		}
		ts = append(ts, safetensors.Tensor{Name: p.Name, Shape: p.Value.Shape(), Data: p.Value.Data()})
	}
	opt := m.Optimizer()
	for _, v := range opt.Variables() {
		ts = append(ts, safetensors.Tensor{Name: optimizerPrefix + v.Name, Shape: v.Value.Shape(), Data: v.Value.Data()})
	}
	ck := checkpointJSON{
		Epoch:     epoch,
		Optimizer: optimizerJSON{Name: opt.Name(), Iterations: opt.Iterations()},
		History:   h,
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
// callbacks.BackupAndRestore): it rebuilds and compiles the model as Load does, puts
// back the optimizer's state and every random generator's state, and
// returns the epoch and History saved. Fit the model with
// InitialEpoch(ck.Epoch+1) and the same options otherwise to continue
// exactly as if training had not stopped. A file that is truncated,
// altered after it was written (its SHA-256 no longer matches) or does not
// match its own architecture is refused with an error naming the file and
// the fault.
func LoadCheckpoint(path string) (*goras.Model, *Checkpoint, error) {
	c, err := readCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := modelFromFile(c.model)
	if err != nil {
		return nil, nil, c.fail("%v", err)
	}
	if err := c.restore(m); err != nil {
		return nil, nil, err
	}
	return m, c.checkpoint(), nil
}

// Restore puts a checkpoint's training state into m, a model built and
// compiled as the one that wrote it (the same architecture, weights of the
// same names and shapes, the same optimizer): the weights, the optimizer's
// state and every random generator's. The architecture, the weights and
// the optimizer's state are checked before anything is changed. Fit with
// InitialEpoch(ck.Epoch+1) then continues the run; the BackupAndRestore
// callback does this.
func Restore(m *goras.Model, path string) (*Checkpoint, error) {
	c, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if m.Optimizer() == nil {
		return nil, fmt.Errorf("goras: Restore: the model is not compiled; compile it as the checkpointed model was before restoring %s", path)
	}
	want, err := m.ToJSON()
	if err != nil {
		return nil, err
	}
	if got := c.model.Metadata["architecture"]; !sameArchitecture(got, want) {
		return nil, c.fail("holds another architecture than the model's; restore it into the model it was written from (or load it alone with LoadCheckpoint)")
	}
	// The optimizer's state too is checked before the weights are set, so
	// that a model compiled with another optimizer keeps its own weights.
	if err := checkOptimizer(m.Optimizer(), c.state.Optimizer, c.opt); err != nil {
		return nil, c.fail("%v", err)
	}
	if err := setWeights(m, c.model); err != nil {
		return nil, c.fail("%v", err)
	}
	if err := c.restore(m); err != nil {
		return nil, err
	}
	return c.checkpoint(), nil
}

// checkpointFile is a checkpoint read and checked: the model's part of
// the file, the optimizer's tensors and the training state.
type checkpointFile struct {
	path  string
	model *safetensors.File
	opt   map[string]*safetensors.Tensor
	state checkpointJSON
}

func (c *checkpointFile) fail(format string, args ...any) error {
	return fmt.Errorf("goras: checkpoint %s: %s", c.path, fmt.Sprintf(format, args...))
}

func (c *checkpointFile) checkpoint() *Checkpoint {
	return &Checkpoint{Path: c.path, Epoch: c.state.Epoch, History: c.state.History.Concat(nil)}
}

// readCheckpoint reads path and checks its digest and training state.
func readCheckpoint(path string) (*checkpointFile, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("goras: %w", err)
	}
	c := &checkpointFile{path: path, model: &safetensors.File{Metadata: f.Metadata}, opt: map[string]*safetensors.Tensor{}}
	raw, ok := f.Metadata[checkpointKey]
	if f.Metadata["format"] != "goras" || !ok {
		return nil, c.fail("not a goras checkpoint (no %q in its __metadata__); a model file written by Save loads with saving.Load", checkpointKey)
	}
	if want, got := f.Metadata[digestKey], checkpointDigest(f.Tensors, f.Metadata); want != got {
		return nil, c.fail("damaged: its content does not match the SHA-256 recorded when it was written (recorded %q, now %s); use an older checkpoint", want, got)
	}
	if err := json.Unmarshal([]byte(raw), &c.state); err != nil {
		return nil, c.fail("metadata %q is not valid: %v", checkpointKey, err)
	}
	if c.state.Epoch < 0 {
		return nil, c.fail("metadata epoch %d is negative", c.state.Epoch)
	}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if name, ok := strings.CutPrefix(t.Name, optimizerPrefix); ok {
			c.opt[name] = t
		} else {
			c.model.Tensors = append(c.model.Tensors, *t)
		}
	}
	return c, nil
}

// restore puts the optimizer's and the generators' state into m, whose
// weights are in place.
func (c *checkpointFile) restore(m *goras.Model) error {
	if m.Optimizer() == nil {
		return c.fail("has no compile settings, so its optimizer state cannot be restored")
	}
	if err := restoreOptimizer(m, c.state.Optimizer, c.opt); err != nil {
		return c.fail("%v", err)
	}
	if err := m.SetRandomState(c.state.RNG); err != nil {
		return c.fail("%v", err)
	}
	return nil
}

// restoreOptimizer writes the saved Variables into the compiled optimizer,
// after checking that they are exactly its Variables, then its exact
// learning rate.
func restoreOptimizer(m *goras.Model, oj optimizerJSON, saved map[string]*safetensors.Tensor) error {
	opt := m.Optimizer()
	if err := checkOptimizer(opt, oj, saved); err != nil {
		return err
	}
	for _, v := range opt.Variables() {
		copy(v.Value.Data(), saved[v.Name].Data)
	}
	if oj.LearningRate != nil {
		if err := opt.SetLearningRate(*oj.LearningRate); err != nil {
			return fmt.Errorf("optimizer learning rate: %v", err)
		}
	}
	return nil
}

// checkOptimizer checks that the saved state is for opt: the same kind of
// optimizer, and exactly its Variables with their shapes.
func checkOptimizer(opt optimizers.Optimizer, oj optimizerJSON, saved map[string]*safetensors.Tensor) error {
	if oj.Name != opt.Name() {
		return fmt.Errorf("its optimizer state is for %s, the compile settings make a %s", oj.Name, opt.Name())
	}
	vars := opt.Variables()
	shapes := make([]layers.ParamShape, len(vars))
	want := map[string]bool{}
	for i, v := range vars {
		shapes[i] = layers.ParamShape{Name: v.Name, Shape: v.Value.Shape()}
		want[v.Name] = true
	}
	problems := shapeProblems(shapes, saved, optimizerPrefix, "the optimizer")
	for name, t := range saved {
		if !want[name] {
			problems = append(problems, fmt.Sprintf("unexpected tensor %q (shape %v) that is no state of the %s optimizer", optimizerPrefix+name, t.Shape, opt.Name()))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("the optimizer state does not match the optimizer: %s", strings.Join(problems, "; "))
	}
	return nil
}
