package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/saving"
)

// Files of a run folder written by the studio.
const (
	metaFile    = "run.json"
	historyFile = "history.csv"
	modelFile   = "model.safetensors"
	lockFile    = ".lock"
)

// Run states, as run.json and GET /api/runs say them.
const (
	stateRunning     = "running"
	stateDone        = "done"
	stateStopped     = "stopped"
	stateFailed      = "failed"
	stateInterrupted = "interrupted" // run.json says running, but no studio trains it
	stateSaved       = "saved"       // written by the CLI, or uploaded
)

// nameRE is what a run or model name may be: it becomes a file or folder
// name in the runs folder, so it has no separator and cannot be "." or "..".
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// checkName refuses a name that is not a plain folder name.
func checkName(kind, name string) error {
	if !nameRE.MatchString(name) {
		return badRequest("%s name %q is not valid: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", kind, name)
	}
	return nil
}

// runMeta is what run.json holds.
type runMeta struct {
	Source   string         `json:"source"` // "studio" or "upload"
	Settings *TrainSettings `json:"settings,omitempty"`
	State    string         `json:"state"`
	Error    string         `json:"error,omitempty"`
	Created  time.Time      `json:"created"`
	Ended    *time.Time     `json:"ended,omitempty"`
}

// runEntry is a run found in the runs folder: a folder, or loose files
// paired by name. Paths are the server's, never shown to the client.
type runEntry struct {
	Name       string
	Dir        string // the run folder, "" for loose files
	History    string // a .csv or .json history, "" for none
	Model      string // a model file or the newest checkpoint, "" for none
	Checkpoint bool   // Model is a checkpoint: its history is inside
	Meta       *runMeta
	MetaErr    error // why run.json, which is there, could not be read
}

// runStore reads the runs folder. It holds no state of its own: every
// call looks at the folder, so that runs written by the CLI meanwhile
// show up.
type runStore struct {
	dir string

	mu     sync.Mutex
	ckHist map[string]cachedHistory // checkpoint histories by path
}

type cachedHistory struct {
	mod  time.Time
	hist *goras.History
}

// scan lists the runs, by name.
func (st *runStore) scan() (map[string]*runEntry, error) {
	entries, err := os.ReadDir(st.dir)
	if err != nil {
		return nil, fmt.Errorf("studio: reading the runs folder: %w", err)
	}
	runs := map[string]*runEntry{}
	loose := map[string]*runEntry{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if e.IsDir() {
			if nameRE.MatchString(name) {
				if r := st.readDir(name); r != nil {
					runs[name] = r
				}
			}
			continue
		}
		stem, ext := fileStem(name), strings.ToLower(filepath.Ext(name))
		if !nameRE.MatchString(stem) || !e.Type().IsRegular() {
			continue
		}
		r := loose[stem]
		if r == nil {
			r = &runEntry{Name: stem}
		}
		path := filepath.Join(st.dir, name)
		switch ext {
		case ".csv", ".json":
			r.History = path
		case ".safetensors":
			r.Model = path
		default:
			continue
		}
		loose[stem] = r
	}
	for name, r := range loose {
		if runs[name] == nil { // a folder of the same name wins
			runs[name] = r
		}
	}
	return runs, nil
}

// readDir makes the entry of a run folder, nil when it holds nothing the
// studio knows.
func (st *runStore) readDir(name string) *runEntry {
	dir := filepath.Join(st.dir, name)
	r := &runEntry{Name: name, Dir: dir}
	if m, err := readMeta(st.dir, name); err == nil {
		r.Meta = m
	} else if !errors.Is(err, fs.ErrNotExist) {
		r.MetaErr = err
	}
	if fileExists(filepath.Join(dir, historyFile)) {
		r.History = filepath.Join(dir, historyFile)
	}
	if fileExists(filepath.Join(dir, modelFile)) {
		r.Model = filepath.Join(dir, modelFile)
	} else if cks, err := saving.Checkpoints(dir); err == nil && len(cks) > 0 {
		r.Model, r.Checkpoint = cks[len(cks)-1], true
	}
	if r.History == "" {
		for _, h := range []string{"history.json", "run.csv"} {
			if fileExists(filepath.Join(dir, h)) {
				r.History = filepath.Join(dir, h)
				break
			}
		}
	}
	if r.Meta == nil && r.MetaErr == nil && r.History == "" && r.Model == "" {
		return nil
	}
	return r
}

// maxMetaSize bounds run.json: the studio writes under 1 KB.
const maxMetaSize = 1 << 20

// readMeta reads run.json of the run folder name in the runs folder
// runsDir: an error satisfying errors.Is(err, fs.ErrNotExist) when there
// is none. Its other errors name the file by its path in the runs folder
// (the client never sees the server's). It reads a regular file only: a named
// pipe would block the read, and with it GET /api/runs, for ever, a device
// could be endless, and a symbolic link would lead out of the runs folder
// (the scan passes over linked folders and files as well). A file larger
// than maxMetaSize is refused too.
func readMeta(runsDir, name string) (*runMeta, error) {
	shown := name + "/" + metaFile
	path := filepath.Join(runsDir, name, metaFile)
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%s: %v", shown, pathCause(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file; the studio reads only the run.json it writes: remove it", shown, fileKind(fi.Mode()))
	}
	if fi.Size() > maxMetaSize {
		return nil, fmt.Errorf("%s is %s, larger than the %s a run.json may be; the studio writes under 1 KB: remove it", shown, byteSize(fi.Size()), byteSize(maxMetaSize))
	}
	if beforeMetaOpen != nil {
		beforeMetaOpen(path)
	}
	f, err := os.OpenFile(path, metaOpenFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", shown, pathCause(err))
	}
	defer f.Close()
	// What was opened must be what was looked at: a file swapped in since
	// may be anything, even under the same inode number (reused at once).
	if now, err := f.Stat(); err != nil || !now.Mode().IsRegular() || !os.SameFile(fi, now) {
		return nil, fmt.Errorf("%s changed while it was read; try again", shown)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxMetaSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", shown, pathCause(err))
	}
	if len(b) > maxMetaSize {
		return nil, fmt.Errorf("%s is larger than the %s a run.json may be; the studio writes under 1 KB: remove it", shown, byteSize(maxMetaSize))
	}
	var m runMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s is not the JSON the studio writes: %v", shown, err)
	}
	return &m, nil
}

// beforeMetaOpen, when set, is called by readMeta between looking at
// run.json and opening it: tests swap the file there.
var beforeMetaOpen func(path string)

// pathCause is a *fs.PathError's cause, without the server's path.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileKind names what a file that is not a regular one is.
func fileKind(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "an irregular file (mode " + mode.String() + ")"
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// get finds the run called name: 400 for a name that cannot be one, 404
// when there is none.
func (st *runStore) get(name string) (*runEntry, error) {
	if err := checkName("run", name); err != nil {
		return nil, err
	}
	runs, err := st.scan()
	if err != nil {
		return nil, err
	}
	r, ok := runs[name]
	if !ok {
		return nil, errorf(http.StatusNotFound, "no run named %q in the runs folder; GET /api/runs lists them", name)
	}
	return r, nil
}

// history reads a run's History: its history file, or the one inside its
// newest checkpoint. A run with neither has an empty one.
func (st *runStore) history(r *runEntry) (*goras.History, error) {
	switch {
	case r.History != "":
		return readHistory(r.History)
	case r.Checkpoint:
		return st.checkpointHistory(r.Model)
	}
	return &goras.History{History: map[string][]float64{}}, nil
}

// readHistory reads a history file written by History.Save (CSV or JSON)
// or Keras's CSVLogger.
func readHistory(path string) (*goras.History, error) {
	// Opened without blocking and checked once open, as run.json is
	// (readMeta): a history swapped for a named pipe since the folder was
	// listed must not hang the listing. Either form is read up to 64 MB.
	f, err := os.OpenFile(path, metaOpenFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("history %s is not a regular file; the studio reads the histories goras train writes", filepath.Base(path))
	}
	r := io.LimitReader(f, maxHistorySize)
	var h *goras.History
	if strings.EqualFold(filepath.Ext(path), ".json") {
		h = &goras.History{}
		err = json.NewDecoder(r).Decode(h)
	} else {
		h, err = plot.ReadHistoryCSV(r)
	}
	if err != nil {
		return nil, fmt.Errorf("history %s: %v", filepath.Base(path), err)
	}
	return h, nil
}

// maxHistorySize bounds what is read of a history file: a million epochs
// of a dozen metrics are less.
const maxHistorySize = 64 << 20

// checkpointHistory reads the History saved in a checkpoint, once per
// version of the file: loading a checkpoint loads its model too.
func (st *runStore) checkpointHistory(path string) (*goras.History, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	c, ok := st.ckHist[path]
	st.mu.Unlock()
	if ok && c.mod.Equal(fi.ModTime()) {
		return c.hist, nil
	}
	_, ck, err := saving.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	h := ck.History
	if h == nil {
		h = &goras.History{History: map[string][]float64{}}
	}
	st.mu.Lock()
	if st.ckHist == nil {
		st.ckHist = map[string]cachedHistory{}
	}
	st.ckHist[path] = cachedHistory{fi.ModTime(), h}
	st.mu.Unlock()
	return h, nil
}

// create makes the folder of a new run; 409 when the name is taken.
func (st *runStore) create(name string) (string, error) {
	if err := checkName("run", name); err != nil {
		return "", err
	}
	runs, err := st.scan()
	if err != nil {
		return "", err
	}
	if _, taken := runs[name]; taken {
		return "", errorf(http.StatusConflict, "a run named %q exists already; choose another name", name)
	}
	dir := filepath.Join(st.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", errorf(http.StatusConflict, "a run named %q exists already; choose another name", name)
		}
		return "", fmt.Errorf("studio: creating run %s: %w", name, err)
	}
	return dir, nil
}

// writeMeta writes run.json atomically.
func writeMeta(dir string, m *runMeta) error {
	return atomicfile.Write(filepath.Join(dir, metaFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// sortedNames lists a scan's names, newest run first (by creation, else
// by name).
func sortedNames(runs map[string]*runEntry) []string {
	names := make([]string, 0, len(runs))
	for n := range runs {
		names = append(names, n)
	}
	created := func(r *runEntry) time.Time {
		if r.Meta != nil {
			return r.Meta.Created
		}
		for _, p := range []string{r.History, r.Model} {
			if fi, err := os.Stat(p); p != "" && err == nil {
				return fi.ModTime()
			}
		}
		return time.Time{}
	}
	sort.Slice(names, func(i, j int) bool {
		ti, tj := created(runs[names[i]]), created(runs[names[j]])
		if !ti.Equal(tj) {
			return ti.After(tj)
		}
		return names[i] < names[j]
	})
	return names
}
