package train

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/goras-ml/goras/beam/internal/beamfs"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*Job)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*Result)(nil)).Elem())
	register.DoFn2x2[context.Context, Job, Result, error](&trainFn{})
	register.DoFn3x1[context.Context, int, func(*Result) bool, error](&collectFn{})
	register.Iter1[Result]()
}

// Files the collecting step writes into its output directory.
const (
	ReportFile  = "report.txt"  // Report.String
	ResultsFile = "results.csv" // WriteCSV
)

// Pipeline adds the train-many pipeline to s:
//
//	jobs → Reshuffle → train (one job per call, any worker) → one group → collect
//
// The Reshuffle lets the runner spread the jobs over workers (prism splits
// a bundle whose element is slow, so two jobs train at once on one machine);
// the collecting step runs once, on all the results, and writes
// out/report.txt and out/results.csv. tta: see Report.TTA.
func Pipeline(s beam.Scope, jobs []Job, out string, tta bool) {
	s = s.Scope("goras.TrainMany")
	col := beam.Reshuffle(s, beam.CreateList(s, jobs))
	results := beam.ParDo(s, &trainFn{}, col)
	all := beam.GroupByKey(s, beam.AddFixedKey(s, results))
	beam.ParDo0(s, &collectFn{Out: out, TTA: tta}, all)
}

// Run checks the jobs, runs the pipeline on the runner named by Beam's
// --runner flag (prism, in this process, when none is given) and returns
// the report the collecting step wrote to out.
func Run(ctx context.Context, jobs []Job, out string, tta bool) (string, error) {
	if len(jobs) == 0 {
		return "", fmt.Errorf("no training jobs to run")
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		if err := j.Validate(); err != nil {
			return "", err
		}
		if seen[j.ID] {
			return "", fmt.Errorf("two jobs are called %s; their files would overwrite each other", j.ID)
		}
		seen[j.ID] = true
	}
	// A directory that cannot be written would otherwise be found when the
	// first job has trained, perhaps hours later, and fail every job.
	checked := map[string]bool{}
	for _, dir := range append([]string{out}, jobOuts(jobs)...) {
		if !checked[dir] {
			checked[dir] = true
			if err := beamfs.CheckWritable(ctx, beamfs.Join(dir, ".goras-beam-check")); err != nil {
				return "", fmt.Errorf("the output directory %s cannot be written, so no job was started: %w", dir, err)
			}
		}
	}
	p := beam.NewPipeline()
	Pipeline(p.Root(), jobs, out, tta)
	if err := beamx.Run(ctx, p); err != nil {
		return "", err
	}
	b, err := beamfs.Read(ctx, beamfs.Join(out, ReportFile))
	return string(b), err
}

// jobOuts are the jobs' output directories.
func jobOuts(jobs []Job) []string {
	dirs := make([]string, len(jobs))
	for i, j := range jobs {
		dirs[i] = j.Out
	}
	return dirs
}

// trainFn trains one job per element and writes its files.
type trainFn struct{}

// slots bounds the trainings one worker process runs at once to its number
// of CPUs: a runner may hand a process more bundles than that (prism splits
// every slow bundle, so a sweep of 50 jobs would otherwise train 50 models
// at once, each holding its buffers, ~300 MB for the bounty CNN). A job
// waiting for a slot holds nothing.
var slots = make(chan struct{}, runtime.NumCPU())

func (*trainFn) ProcessElement(ctx context.Context, j Job) (Result, error) {
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	t, err := Fit(ctx, j, logWriter{ctx: ctx, prefix: j.ID + ": "})
	if err != nil {
		return Result{}, err
	}
	if err := t.Save(ctx); err != nil {
		return Result{}, err
	}
	log.Infof(ctx, "%s: trained in %.1f s (%s), val_accuracy %.4f", j.ID, t.Result.TrainSeconds, t.Result.Precision, t.Result.ValAccuracy)
	return t.Result, nil
}

// collectFn is the collecting step: every result at once.
type collectFn struct {
	Out string `json:"out"`
	TTA bool   `json:"tta"`
}

func (c *collectFn) ProcessElement(ctx context.Context, _ int, results func(*Result) bool) error {
	var all []Result
	for {
		var r Result
		if !results(&r) {
			break
		}
		all = append(all, r)
	}
	rep, err := Collect(ctx, all, c.TTA)
	if err != nil {
		return err
	}
	if err := beamfs.Write(ctx, beamfs.Join(c.Out, ResultsFile), rep.WriteCSV); err != nil {
		return err
	}
	return beamfs.WriteBytes(ctx, beamfs.Join(c.Out, ReportFile), []byte(rep.String()))
}

// logWriter sends Fit's progress lines to Beam's log, which a cluster's
// runner keeps per worker.
type logWriter struct {
	ctx    context.Context
	prefix string
}

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			log.Info(w.ctx, w.prefix+line)
		}
	}
	return len(p), nil
}

// WriteCSV writes one row per run: the job, its figures, its files and, for
// the chosen runs, the test accuracy (empty for the others).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "config", "recipe", "model", "seed", "fold", "folds", "epochs", "params", "loss", "accuracy",
		"val_loss", "val_accuracy", "test_accuracy", "train_seconds", "total_seconds", "model_file", "history_file", "worker", "precision"})
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for _, x := range r.Results {
		test := math.NaN()
		if v, ok := r.Test[x.Job.ID]; ok {
			test = v
		}
		j := x.Job
		cw.Write([]string{j.ID, j.Config(), j.Recipe, j.Model, strconv.FormatUint(j.Seed, 10), strconv.Itoa(j.Fold),
			strconv.Itoa(j.Folds), strconv.Itoa(x.Epochs), strconv.Itoa(x.Params), f(x.Loss), f(x.Accuracy), f(x.ValLoss),
			f(x.ValAccuracy), f(test), f(x.TrainSeconds), f(x.TotalSeconds), x.ModelFile, x.HistoryFile, x.Worker, x.Precision})
	}
	cw.Flush()
	return cw.Error()
}
