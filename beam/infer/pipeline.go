package infer

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/goras-ml/goras/beam/internal/beamfs"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*Item)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*Line)(nil)).Elem())
	register.DoFn4x1[context.Context, string, func(Item), func(string), error](&readPictureFn{})
	register.DoFn3x1[context.Context, string, func(Item), error](&readShardFn{})
	register.DoFn2x1[Item, func(Line), error](&predictFn{})
	register.DoFn1x2[Line, int, Line](&shardFn{})
	register.DoFn3x1[context.Context, int, func(*Line) bool, error](&writeFn{})
	register.Function1x1(badLine)
	register.Emitter1[Item]()
	register.Emitter1[Line]()
	register.Emitter1[string]()
	register.Iter1[Line]()
}

// Options describe a predict-many run.
type Options struct {
	// Model is a goras model file (.safetensors) or an ONNX model (.onnx),
	// local or on any Beam file system.
	Model string
	// Files are pictures to read (PNG, JPEG, GIF); IDX are IDX image files,
	// each read whole by one worker. At least one of them.
	Files, IDX []string
	// Out is the JSONL file written (see Write); pictures that could not be
	// read are listed in Out.errors.txt, one line each.
	Out string
	// BatchSize is the number of digits per Predict call (default 1000);
	// Top the number of classes per prediction (default 3, as `goras
	// predict`); Shards the number of output files (default 1).
	BatchSize, Top, Shards int
}

// ErrorsPath is where a run lists the pictures it could not read.
func ErrorsPath(out string) string { return out + ".errors.txt" }

// Pipeline adds the predict-many pipeline to s:
//
//	files → Reshuffle → read pictures ┐
//	IDX shards → Reshuffle → read     ┴→ predict in batches (model loaded once per worker) → JSONL
func Pipeline(s beam.Scope, o Options) {
	var cols []beam.PCollection
	if len(o.Files) > 0 {
		items, bad := Files(s, o.Files)
		cols = append(cols, items)
		Write(s.Scope("errors"), ErrorsPath(o.Out), 1, beam.ParDo(s, badLine, bad))
	}
	if len(o.IDX) > 0 {
		cols = append(cols, IDX(s, o.IDX))
	}
	items := cols[0]
	if len(cols) > 1 {
		items = beam.Flatten(s, cols...)
	}
	Write(s, o.Out, o.Shards, Predict(s, items, o.Model, o.BatchSize, o.Top))
}

// badLine makes an error a Line, so that Write sorts and writes it.
func badLine(msg string) Line { return Line{Name: msg, JSON: msg} }

// Run checks the options, runs the pipeline on the runner of Beam's
// --runner flag (prism in this process when none is given) and returns the
// pictures that could not be read, one message each. The shards and the list
// of bad pictures an earlier run left at o.Out are removed first.
func Run(ctx context.Context, o Options) (bad []string, err error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	// The model is checked here first, so that a wrong file fails at once
	// rather than in every worker.
	if _, err := LoadModel(ctx, o.Model); err != nil {
		return nil, err
	}
	// So is the output's place, written only once every digit is read.
	if err := beamfs.CheckWritable(ctx, o.Out+".goras-beam-check"); err != nil {
		return nil, fmt.Errorf("the output %s cannot be written, so nothing was predicted: %w", o.Out, err)
	}
	removeStale(ctx, ErrorsPath(o.Out))
	// Only the shards some name hashes to are written: those of an earlier
	// run into the same file would be read as this run's predictions.
	for s := 0; s < o.Shards; s++ {
		removeStale(ctx, ShardPath(o.Out, s, o.Shards))
	}
	p := beam.NewPipeline()
	Pipeline(p.Root(), o)
	if err := beamx.Run(ctx, p); err != nil {
		return nil, err
	}
	b, err := beamfs.Read(ctx, ErrorsPath(o.Out))
	if err != nil {
		return nil, nil // no picture was bad, so no list was written
	}
	bad = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	sort.Strings(bad)
	return bad, nil
}

// check fills the defaults and refuses what cannot run.
func (o *Options) check() error {
	if o.BatchSize == 0 {
		o.BatchSize = 1000
	}
	if o.Top == 0 {
		o.Top = 3
	}
	if o.Shards == 0 {
		o.Shards = 1
	}
	switch {
	case o.Model == "":
		return fmt.Errorf("no model: give a .safetensors file written by goras train --output, or an .onnx file")
	case len(o.Files)+len(o.IDX) == 0:
		return fmt.Errorf("nothing to predict: give picture files or IDX image files")
	case o.Out == "":
		return fmt.Errorf("no output file: give the .jsonl file the predictions go to")
	case o.BatchSize < 1 || o.Top < 1 || o.Shards < 1:
		return fmt.Errorf("batch size, top and shards must each be at least 1, got %d, %d and %d", o.BatchSize, o.Top, o.Shards)
	}
	return nil
}

// removeStale removes a file left by an earlier run (a list of bad
// pictures, a shard of predictions), which would otherwise be read as this
// run's.
func removeStale(ctx context.Context, file string) {
	fs, err := filesystem.New(ctx, file)
	if err != nil {
		return
	}
	defer fs.Close()
	if rm, ok := fs.(filesystem.Remover); ok {
		rm.Remove(ctx, file)
	}
}
