package infer

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/beam/internal/beamfs"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// Line is one prediction: the digit's name and its JSON line.
type Line struct {
	Name, JSON string
}

// models holds each model once per worker process: every DoFn instance of
// the process (one per bundle running at once) shares it, since Predict may
// run from many goroutines at once with read-only weights.
var models = struct {
	sync.Mutex
	m map[string]*loaded
}{m: map[string]*loaded{}}

type loaded struct {
	once  sync.Once
	model *goras.Model
	err   error
}

// LoadModel reads a goras model file (.safetensors, saving.Load) or an ONNX
// model (.onnx, onnx.Load) from any Beam file system, once per process, and
// checks that it reads MNIST digits into probabilities as `goras predict`
// needs (predict.CheckModel).
func LoadModel(ctx context.Context, file string) (*goras.Model, error) {
	models.Lock()
	l := models.m[file]
	if l == nil {
		l = &loaded{}
		models.m[file] = l
	}
	models.Unlock()
	l.once.Do(func() {
		l.model, l.err = load(ctx, file)
		if l.err == nil {
			l.err = predict.CheckModel(l.model, file, "goras-beam predict")
		}
	})
	return l.model, l.err
}

func load(ctx context.Context, file string) (*goras.Model, error) {
	if strings.EqualFold(path.Ext(file), ".onnx") {
		r, err := beamfs.Open(ctx, file)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		m, err := onnx.Decode(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return m, nil
	}
	local, done, err := beamfs.ToLocal(ctx, file)
	if err != nil {
		return nil, err
	}
	defer done()
	return saving.Load(local)
}

// Predict reads every digit with the model in file (see LoadModel), loaded
// once per worker in the DoFn's Setup, batch digits at a time (batches are
// made within each bundle, as Beam's RunInference does), and returns each
// digit's Line: json.Marshal of predict.Top(name, probabilities, top), the
// object `goras predict --json` prints for a picture.
func Predict(s beam.Scope, items beam.PCollection, file string, batch, top int) beam.PCollection {
	s = s.Scope("goras.Predict")
	return beam.ParDo(s, &predictFn{Model: file, BatchSize: batch, Top: top}, items)
}

// predictFn buffers a bundle's digits into batches and predicts each batch
// with one Predict call.
type predictFn struct {
	Model     string `json:"model"`
	BatchSize int    `json:"batch_size"`
	Top       int    `json:"top"`

	m   *goras.Model
	buf []Item
}

func (f *predictFn) Setup(ctx context.Context) error {
	var err error
	f.m, err = LoadModel(ctx, f.Model)
	return err
}

func (f *predictFn) ProcessElement(it Item, emit func(Line)) error {
	f.buf = append(f.buf, it)
	if len(f.buf) < f.BatchSize {
		return nil
	}
	return f.flush(emit)
}

func (f *predictFn) FinishBundle(emit func(Line)) error { return f.flush(emit) }

// flush predicts the buffered digits, as `goras predict` predicts its
// pictures: one tensor of the model's input shape, Predict, then each row
// checked and cut to its top classes.
func (f *predictFn) flush(emit func(Line)) error {
	if len(f.buf) == 0 {
		return nil
	}
	items := f.buf
	f.buf = f.buf[:0]
	in, classes := f.m.InputShape(), f.m.OutputShape()[0]
	pixels := make([]float32, 0, len(items)*len(items[0].Pixels))
	for _, it := range items {
		pixels = append(pixels, it.Pixels...)
	}
	x, err := tensor.FromSlice(pixels, append([]int{len(items)}, in...)...)
	if err != nil {
		return fmt.Errorf("%s: %w", items[0].Name, err)
	}
	probs, err := f.m.Predict(x, goras.Verbose(0))
	if err != nil {
		return err
	}
	for i, it := range items {
		row := probs.Data()[i*classes : (i+1)*classes]
		if err := predict.CheckProbabilities(row, "goras-beam predict"); err != nil {
			return fmt.Errorf("%s on %s: %w", f.Model, it.Name, err)
		}
		b, err := json.Marshal(predict.Top(it.Name, row, f.Top))
		if err != nil {
			return err
		}
		emit(Line{Name: it.Name, JSON: string(b)})
	}
	return nil
}

// Write writes the lines as JSONL to shards files, each sorted by name, so
// that the same inputs give the same files whatever the runner and the
// order the workers finished in: out itself for one shard, else
// out-SSSSS-of-NNNNN with the extension kept (predictions-00000-of-00004.jsonl).
// A line goes to the shard its name hashes to; a shard no name hashes to is
// not written.
func Write(s beam.Scope, out string, shards int, lines beam.PCollection) {
	s = s.Scope("goras.WriteJSONL")
	keyed := beam.ParDo(s, &shardFn{Shards: shards}, lines)
	beam.ParDo0(s, &writeFn{Out: out, Shards: shards}, beam.GroupByKey(s, keyed))
}

type shardFn struct {
	Shards int `json:"shards"`
}

func (f *shardFn) ProcessElement(l Line) (int, Line) {
	h := fnv.New32a()
	h.Write([]byte(l.Name))
	return int(h.Sum32() % uint32(max(f.Shards, 1))), l
}

type writeFn struct {
	Out    string `json:"out"`
	Shards int    `json:"shards"`
}

func (f *writeFn) ProcessElement(ctx context.Context, shard int, lines func(*Line) bool) error {
	var all []Line
	for {
		var l Line
		if !lines(&l) {
			break
		}
		all = append(all, l)
	}
	sort.Slice(all, func(a, b int) bool { return all[a].Name < all[b].Name })
	var b strings.Builder
	for _, l := range all {
		b.WriteString(l.JSON)
		b.WriteByte('\n')
	}
	return beamfs.WriteBytes(ctx, ShardPath(f.Out, shard, f.Shards), []byte(b.String()))
}

// ShardPath is the file Write writes shard (from 0) of n to.
func ShardPath(out string, shard, n int) string {
	if n <= 1 {
		return out
	}
	ext := path.Ext(out)
	return fmt.Sprintf("%s-%05d-of-%05d%s", strings.TrimSuffix(out, ext), shard, n, ext)
}
