package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/beam/infer"
	"github.com/goras-ml/goras/beam/train"
)

// jobFlags are the flags every training command shares.
type jobFlags struct {
	recipe, model, seeds, out, data, hyper string
	train, validation                      int
	tta                                    bool
}

func (f *jobFlags) add(fs *flag.FlagSet, seeds string) {
	fs.StringVar(&f.recipe, "recipe", "", "the recipe `NAME` to train: best, best-long, fast or sprint")
	fs.StringVar(&f.model, "model", "", "the network `NAME` to train instead of a recipe: mlp, lenet5 or keras-convnet")
	fs.StringVar(&f.seeds, "seeds", seeds, "the `SEEDS` to train from: numbers and ranges, e.g. 1-5 or 1,3,7-9")
	fs.StringVar(&f.out, "out", "", "the `DIR` the models, histories, report.txt and results.csv go to, local or gs://... (required)")
	fs.StringVar(&f.data, "data", "", "a `DIR` holding the four MNIST files, local or gs://... (default: goras's cache, else the Go module proxy)")
	fs.StringVar(&f.hyper, "hyper", "", "hyper-parameters for every job, `KEY=VALUE,...`, e.g. epochs=2,dropout=0.3 (see docs/scale.md)")
	fs.IntVar(&f.train, "train", 0, "the number of training images, the first `N` of the 60,000 (default 55,000, with 5,000 to validate on; where there is --validation, give both or neither; kfold: default 60,000)")
	fs.BoolVar(&f.tta, "tta", false, "score the chosen models with test-time augmentation too, as goras ensemble --tta")
}

// sweep is the Sweep the flags describe.
func (f *jobFlags) sweep() (train.Sweep, error) {
	s := train.Sweep{Recipe: f.recipe, Model: f.model, Data: f.data, Train: f.train, Validation: f.validation}
	var err error
	if s.Seeds, err = train.ParseSeeds(f.seeds); err != nil {
		return s, err
	}
	s.Hyper, err = parseHyper(f.hyper)
	return s, err
}

// parseHyper reads "epochs=2,dropout=0.3".
func parseHyper(s string) (map[string]float64, error) {
	if s == "" {
		return nil, nil
	}
	h := map[string]float64{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		x, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("--hyper takes KEY=VALUE pairs separated by commas, e.g. epochs=2,dropout=0.3; got %q", kv)
		}
		h[k] = x
	}
	return h, nil
}

// needOut refuses a training command without --out.
func needOut(out string) error {
	if out == "" {
		return fmt.Errorf("--out is required: the directory the models and the report go to")
	}
	return nil
}

// runJobs trains the jobs and prints the report.
func runJobs(ctx context.Context, jobs []train.Job, out string, tta bool, stdout, stderr io.Writer) error {
	fmt.Fprintf(stderr, "goras-beam: %d training jobs; models, histories and the report go to %s\n", len(jobs), out)
	report, err := train.Run(ctx, jobs, out, tta)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, report)
	return err
}

var ensembleCmd = command{
	summary: "train one recipe or network from several seeds and score their average",
	usage: "goras-beam ensemble --recipe best-long --seeds 1-5 --out DIR\n\n" +
		"Each seed is a job trained on the first 55,000 training images and validated on the\n" +
		"last 5,000, exactly as goras train --model NAME --seed N trains it (same seed, same\n" +
		"model). The collecting step then reads the test set once and prints each model's\n" +
		"test accuracy and their average's, as goras ensemble does.",
	flags: func(fs *flag.FlagSet) func(context.Context, []string, io.Writer, io.Writer) error {
		f := &jobFlags{}
		f.add(fs, "1-5")
		fs.IntVar(&f.validation, "validation", 0, "the number of validation images, the last `N` of the 60,000 (default 5,000, with 55,000 to train on; give --train too)")
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("ensemble takes flags only, got %q", args)
			}
			if err := needOut(f.out); err != nil {
				return err
			}
			s, err := f.sweep()
			if err != nil {
				return err
			}
			jobs, err := s.Jobs(f.out)
			if err != nil {
				return err
			}
			return runJobs(ctx, jobs, f.out, f.tta, stdout, stderr)
		}
	},
}

var sweepCmd = command{
	summary: "train every point of a hyper-parameter grid, choose on validation, test the choice once",
	usage: "goras-beam sweep --out DIR SWEEP.json\n\n" +
		"SWEEP.json names a recipe or network, seeds, a grid and fixed hyper-parameters:\n" +
		"  {\"recipe\": \"fast\", \"seeds\": \"1-2\", \"grid\": {\"dense\": [64, 128], \"peak_rate\": [0.002, 0.003]},\n" +
		"   \"hyper\": {\"epochs\": 2}, \"train\": 55000, \"validation\": 5000, \"folds\": 0, \"data\": \"\"}\n" +
		"The point with the best mean validation accuracy over its seeds is chosen; only its\n" +
		"models are scored on the test set, once, by the collecting step.",
	flags: func(fs *flag.FlagSet) func(context.Context, []string, io.Writer, io.Writer) error {
		var out, data string
		var tta bool
		fs.StringVar(&out, "out", "", "the `DIR` the models, histories, report.txt and results.csv go to (required)")
		fs.StringVar(&data, "data", "", "a `DIR` holding the four MNIST files, overriding the sweep file's")
		fs.BoolVar(&tta, "tta", false, "score the chosen models with test-time augmentation too")
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			if len(args) != 1 {
				return fmt.Errorf("sweep takes one sweep file, got %d arguments", len(args))
			}
			if err := needOut(out); err != nil {
				return err
			}
			s, err := train.ReadSweep(args[0])
			if err != nil {
				return err
			}
			if data != "" {
				s.Data = data
			}
			jobs, err := s.Jobs(out)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return runJobs(ctx, jobs, out, tta, stdout, stderr)
		}
	},
}

var kfoldCmd = command{
	summary: "cross-validate a recipe, network or grid on the training set; test the choice once",
	usage: "goras-beam kfold --recipe fast --folds 5 --out DIR [--sweep SWEEP.json]\n\n" +
		"The first --train images (default all 60,000) are cut into --folds contiguous folds;\n" +
		"each job trains on all folds but one and validates on that one. With --sweep, every\n" +
		"point of the file's grid is cross-validated and the best mean is chosen. The chosen\n" +
		"point's fold models are then scored on the test set, once, alone and averaged.",
	flags: func(fs *flag.FlagSet) func(context.Context, []string, io.Writer, io.Writer) error {
		f := &jobFlags{}
		f.add(fs, "1")
		var folds int
		var sweepFile string
		fs.IntVar(&folds, "folds", 5, "the number of folds `K`")
		fs.StringVar(&sweepFile, "sweep", "", "a sweep `FILE` whose grid is cross-validated (its recipe, seeds and data unless the flags say otherwise)")
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("kfold takes flags only, got %q", args)
			}
			if err := needOut(f.out); err != nil {
				return err
			}
			s, err := f.sweep()
			if err != nil {
				return err
			}
			if sweepFile != "" {
				if s, err = mergeSweep(sweepFile, s, fs); err != nil {
					return err
				}
			}
			s.Folds = folds
			jobs, err := s.Jobs(f.out)
			if err != nil {
				return err
			}
			return runJobs(ctx, jobs, f.out, f.tta, stdout, stderr)
		}
	},
}

// mergeSweep reads a sweep file and overrides it with the flags given.
func mergeSweep(path string, flags train.Sweep, fs *flag.FlagSet) (train.Sweep, error) {
	s, err := train.ReadSweep(path)
	if err != nil {
		return s, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "recipe", "model":
			s.Recipe, s.Model = flags.Recipe, flags.Model
		case "seeds":
			s.Seeds = flags.Seeds
		case "data":
			s.Data = flags.Data
		case "train":
			s.Train = flags.Train
		case "hyper":
			s.Hyper = flags.Hyper
		}
	})
	return s, nil
}

var predictCmd = command{
	summary: "read many pictures or IDX files with one model; write JSONL as goras predict --json",
	usage: "goras-beam predict --model MODEL --out PREDICTIONS.jsonl [--idx SHARD,...] [PICTURE...]\n\n" +
		"MODEL is a .safetensors file written by goras train --output, or an .onnx model.\n" +
		"Each line of the output is the object goras predict --json prints for a picture,\n" +
		"{\"file\": ..., \"class\": ..., \"top\": [...]}; an IDX image's file is SHARD#INDEX.\n" +
		"Lines are sorted by file within each output shard. Pictures that cannot be read are\n" +
		"listed on stderr and in PREDICTIONS.jsonl.errors.txt, and the exit status is 1.",
	flags: func(fs *flag.FlagSet) func(context.Context, []string, io.Writer, io.Writer) error {
		o := infer.Options{}
		var idx string
		fs.StringVar(&o.Model, "model", "", "the model `FILE`, .safetensors or .onnx, local or gs://... (required)")
		fs.StringVar(&o.Out, "out", "", "the JSONL `FILE` written (required)")
		fs.StringVar(&idx, "idx", "", "IDX image files to read, `SHARD,...` (gzipped or raw), besides any pictures")
		fs.IntVar(&o.BatchSize, "batch-size", 1000, "digits per Predict call")
		fs.IntVar(&o.Top, "top", 3, "the number of most likely classes per picture")
		fs.IntVar(&o.Shards, "shards", 1, "the number of output files; more than 1 writes OUT-00000-of-0000N.jsonl ...")
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			o.Files = args
			if idx != "" {
				o.IDX = strings.Split(idx, ",")
			}
			bad, err := infer.Run(ctx, o)
			if err != nil {
				return err
			}
			where := o.Out
			if o.Shards > 1 {
				where = fmt.Sprintf("%s ... %s", infer.ShardPath(o.Out, 0, o.Shards), infer.ShardPath(o.Out, o.Shards-1, o.Shards))
			}
			fmt.Fprintf(stderr, "goras-beam: wrote the predictions to %s\n", where)
			for _, b := range bad {
				fmt.Fprintf(stderr, "goras-beam: %s\n", b)
			}
			if len(bad) > 0 {
				return fmt.Errorf("%d pictures could not be read (above, and in %s); the others were predicted", len(bad), infer.ErrorsPath(o.Out))
			}
			return nil
		}
	},
}
