package studio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/saving"
)

// modelRef names a model and where it is; Path is the server's.
type modelRef struct {
	Name       string
	Path       string
	Checkpoint bool // a checkpoint file, read with LoadCheckpoint
}

// loadModel reads a fresh copy of a model file.
func loadModel(ref modelRef) (*goras.Model, error) {
	if ref.Checkpoint {
		m, _, err := saving.LoadCheckpoint(ref.Path)
		return m, err
	}
	return saving.Load(ref.Path)
}

// loadedModel is a model file loaded once and shared by the pages that
// only read it: Predict is safe from many goroutines. What is derived from
// it (the feature model, the test-set predictions) is made on first use.
type loadedModel struct {
	ref   modelRef
	mod   time.Time
	size  int64
	model *goras.Model
	used  time.Time

	mu       sync.Mutex
	features *goras.Model // outputs: every image-shaped layer's, then the model's
	fLayers  []featureLayer
	look     *lookData
}

// modelCache keeps the models loaded lately, by path, and loads a file
// again when it changes (a run rewrites its model after each epoch).
type modelCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*loadedModel
}

func newModelCache(max int) *modelCache {
	return &modelCache{max: max, items: map[string]*loadedModel{}}
}

// get returns the loaded model of ref, loading it if it is new or changed.
func (c *modelCache) get(ref modelRef) (*loadedModel, error) {
	fi, err := os.Stat(ref.Path)
	if err != nil {
		return nil, errorf(http.StatusNotFound, "model %q: its file is gone: %v", ref.Name, err)
	}
	c.mu.Lock()
	lm, ok := c.items[ref.Path]
	if ok && lm.mod.Equal(fi.ModTime()) && lm.size == fi.Size() {
		lm.used = time.Now()
		c.mu.Unlock()
		return lm, nil
	}
	c.mu.Unlock()
	m, err := loadModel(ref)
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, "model %q cannot be loaded: %v", ref.Name, err)
	}
	lm = &loadedModel{ref: ref, mod: fi.ModTime(), size: fi.Size(), model: m, used: time.Now()}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[ref.Path] = lm
	for len(c.items) > c.max {
		var oldest string
		for p, it := range c.items {
			if oldest == "" || it.used.Before(c.items[oldest].used) {
				oldest = p
			}
		}
		delete(c.items, oldest)
	}
	return lm, nil
}

// model loads the model named name ("" for the current one).
func (s *Server) model(name string) (*loadedModel, error) {
	ref, err := s.modelRef(name)
	if err != nil {
		return nil, err
	}
	return s.models.get(ref)
}

// modelJSON is a model as GET /api/models lists it.
type modelJSON struct {
	Name     string    `json:"name"`
	Source   string    `json:"source"` // run, checkpoint, upload or flag
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Params   int       `json:"params"`
	Input    []int     `json:"input_shape"`
	Output   []int     `json:"output_shape"`
	Class    string    `json:"class_name"`
	Current  bool      `json:"current"`
	Error    string    `json:"error,omitempty"`
	// ClassNames are the model's class names, index k naming class k;
	// null for a model without names (MNIST's digits name themselves).
	ClassNames []string `json:"class_names"`
	// Pictures says how the model takes pictures; null, and PicturesError
	// says why, for a model that does not.
	Pictures      *pictureInput `json:"pictures"`
	PicturesError string        `json:"pictures_error,omitempty"`
}

func (s *Server) describeModel(ref modelRef, source string) modelJSON {
	out := modelJSON{Name: ref.Name, Source: source, Current: ref.Name == s.currentName()}
	lm, err := s.models.get(ref)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	m := lm.model
	out.Size, out.Modified = lm.size, lm.mod
	out.Params, out.Input, out.Output, out.Class = m.CountParams(), m.InputShape(), m.OutputShape(), m.ClassName()
	out.ClassNames = m.ClassNames()
	if pi, err := pictureInputOf(ref.Name, m); err == nil {
		out.Pictures = &pi
	} else {
		out.PicturesError = err.Error()
	}
	return out
}

// listModels answers every model: the --model file, then each run's.
func (s *Server) listModels(w http.ResponseWriter, _ *http.Request) error {
	out := []modelJSON{}
	if s.flagName != "" {
		out = append(out, s.describeModel(modelRef{Name: s.flagName, Path: s.opts.Model}, "flag"))
	}
	runs, err := s.runs.scan()
	if err != nil {
		return err
	}
	for _, name := range sortedNames(runs) {
		r := runs[name]
		if r.Model == "" || name == s.flagName {
			continue
		}
		source := "run"
		switch {
		case r.Checkpoint:
			source = "checkpoint"
		case r.Meta != nil && r.Meta.Source == "upload":
			source = "upload"
		}
		out = append(out, s.describeModel(modelRef{Name: name, Path: r.Model, Checkpoint: r.Checkpoint}, source))
	}
	return writeJSON(w, http.StatusOK, out)
}

// graphNode is one layer call of a model's graph, for the drawing.
type graphNode struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Class  string `json:"class_name"`
	Shape  []int  `json:"shape"`
	Params int    `json:"params"`
	Inputs []int  `json:"inputs"`
}

// inspectModel answers a model's summary (as goras summary prints it),
// its graph and its compile settings.
func (s *Server) inspectModel(w http.ResponseWriter, r *http.Request) error {
	ref, err := s.modelRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	lm, err := s.models.get(ref)
	if err != nil {
		return err
	}
	var sum bytes.Buffer
	if err := lm.model.Summary(&sum); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"model":   s.describeModel(ref, ""),
		"summary": sum.String(),
		"graph":   modelGraph(lm.model),
		"compile": lm.model.CompileConfig(),
	})
}

// modelGraph lists the inputs and every layer call, each after those it
// reads.
func modelGraph(m *goras.Model) []graphNode {
	ids := map[*goras.KerasTensor]int{}
	var out []graphNode
	add := func(t *goras.KerasTensor) {
		n := graphNode{ID: len(out), Name: t.Layer().Name(), Class: t.Layer().ClassName(), Shape: t.Shape(), Inputs: []int{}}
		for _, p := range t.Layer().Params() {
			n.Params += p.Value.Len()
		}
		for _, in := range t.Inputs() {
			n.Inputs = append(n.Inputs, ids[in])
		}
		ids[t] = n.ID
		out = append(out, n)
	}
	for _, t := range m.Inputs() {
		add(t)
	}
	for _, t := range m.Nodes() {
		add(t)
	}
	return out
}

// downloadModel sends a model's file.
func (s *Server) downloadModel(w http.ResponseWriter, r *http.Request) error {
	ref, err := s.modelRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	f, err := os.Open(ref.Path)
	if err != nil {
		return errorf(http.StatusNotFound, "model %q: its file is gone", ref.Name)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.safetensors"`, ref.Name))
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

// uploadModel keeps a model file sent as the body (at most MaxUpload
// bytes) as the run ?name=NAME, once it loads.
func (s *Server) uploadModel(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	name := q.Get("name")
	if err := checkName("model", name); err != nil {
		return err
	}
	if r.ContentLength > MaxUpload {
		return errorf(http.StatusRequestEntityTooLarge, "the model file is %s; uploads take at most %s", byteSize(r.ContentLength), byteSize(MaxUpload))
	}
	if _, err := s.runs.get(name); err == nil {
		return errorf(http.StatusConflict, "a run or model named %q exists already; choose another name", name)
	}
	if file := q.Get("filename"); strings.EqualFold(filepath.Ext(file), ".onnx") {
		return s.uploadONNX(w, r, name, file)
	}
	tmp, err := s.receiveFile(w, r, s.opts.Dir)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // a no-op once renamed
	m, err := saving.Load(tmp)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "the file is not a goras model file: %v", cleanTmp(err, tmp))
	}
	dir, err := s.runs.create(name)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, modelFile)); err != nil {
		os.Remove(dir)
		return err
	}
	if err := writeMeta(dir, &runMeta{Source: "upload", State: stateSaved, Created: time.Now()}); err != nil {
		return err
	}
	fmt.Fprintf(s.opts.Log, "studio: model %s uploaded (%d params)\n", name, m.CountParams())
	return writeJSON(w, http.StatusCreated, s.describeModel(modelRef{Name: name, Path: filepath.Join(dir, modelFile)}, "upload"))
}

// uploadONNX imports an ONNX model sent as the body (at most MaxUpload
// bytes) into goras layers and keeps it as the run name's model file.
func (s *Server) uploadONNX(w http.ResponseWriter, r *http.Request, name, file string) error {
	b, err := io.ReadAll(s.limitBody(w, r, MaxUpload))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errorf(http.StatusRequestEntityTooLarge, "the model file is over %s; uploads take at most %s", byteSize(MaxUpload), byteSize(MaxUpload))
	}
	if berr := bodyError(err); berr != nil {
		return berr
	}
	if err != nil {
		return err
	}
	m, err := onnx.DecodeBytes(b)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%s does not import as a goras model: %v", file, err)
	}
	dir, err := s.runs.create(name)
	if err != nil {
		return err
	}
	if err := saving.Save(m, filepath.Join(dir, modelFile)); err != nil {
		os.RemoveAll(dir)
		return err
	}
	if err := writeMeta(dir, &runMeta{Source: "upload", State: stateSaved, Created: time.Now()}); err != nil {
		return err
	}
	fmt.Fprintf(s.opts.Log, "studio: ONNX model %s imported as %s (%d params)\n", file, name, m.CountParams())
	return writeJSON(w, http.StatusCreated, s.describeModel(modelRef{Name: name, Path: filepath.Join(dir, modelFile)}, "upload"))
}

// receiveFile streams a bounded body into a hidden temporary file of the
// runs folder, after checking that it starts as a safetensors file does.
func (s *Server) receiveFile(w http.ResponseWriter, r *http.Request, dir string) (string, error) {
	body := s.limitBody(w, r, MaxUpload)
	var head [9]byte
	n, err := io.ReadFull(body, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		if berr := bodyError(err); berr != nil {
			return "", berr
		}
		return "", err
	}
	if n < len(head) || head[8] != '{' || binary.LittleEndian.Uint64(head[:8]) > MaxUpload {
		return "", errorf(http.StatusUnsupportedMediaType, "the body is not a .safetensors file (it should start with an 8-byte header length and a JSON header); "+
			"send the bytes of a model file saved by goras")
	}
	f, err := os.CreateTemp(dir, ".upload-*.safetensors")
	if err != nil {
		return "", err
	}
	_, err = f.Write(head[:])
	if err == nil {
		_, err = io.Copy(f, body)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		if berr := bodyError(err); berr != nil {
			return "", berr
		}
		return "", err
	}
	return f.Name(), nil
}

// cleanTmp keeps the temporary file's name out of an error shown to the
// client.
func cleanTmp(err error, tmp string) string {
	return strings.ReplaceAll(err.Error(), tmp, "the upload")
}
