package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// The tests of the messages for bad flags and arguments, and of the
// suggestions for misspelt flags.

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run") // a --checkpoint-dir a run was started in
	if err := writeRunSettings(runDir, runSettings{Model: "mlp", Epochs: 2, BatchSize: 100, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--model", "nope"}, `unknown model "nope"; known models: ` + strings.Join(applications.Names(), ", ")},
		{[]string{"summary", "--model", "nope"}, `unknown model "nope"; known models: ` + strings.Join(applications.Names(), ", ")},
		{[]string{"train", "--verbose", "3"}, "--verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got 3"},
		{[]string{"train", "--verbose", "-1"}, "--verbose must be 0"},
		{[]string{"train", "--epochs", "0"}, "--epochs must be at least 1, got 0"},
		{[]string{"train", "--batch-size", "-5"}, "--batch-size must be at least 1, got -5"},
		{[]string{"train", "--learning-rate", "-0.1"}, "--learning-rate must be a positive number, got -0.1"},
		{[]string{"train", "--learning-rate", "NaN"}, "--learning-rate must be a positive number, got NaN"},
		{[]string{"train", "--optimizer", "adabelief"}, `unknown --optimizer "adabelief"; known: ` + strings.Join(optimizers.Names(), ", ")},
		{[]string{"train", "--loss", "hinge2"}, `unknown --loss "hinge2"; known: ` + strings.Join(losses.Names(), ", ")},
		{[]string{"train", "--optimizer", "adam", "--momentum", "0.9"}, "--momentum applies only to --optimizer sgd, not adam"},
		{[]string{"train", "--optimizer", "rmsprop", "--nesterov"}, "--nesterov applies only to --optimizer sgd, not rmsprop"},
		{[]string{"train", "--nesterov"}, "--nesterov needs a --momentum above 0"},
		{[]string{"train", "--momentum", "1.5"}, "--momentum must be in [0, 1], got 1.5"},
		{[]string{"train", "--history", filepath.Join(dir, "h.txt")}, "the file name must end in .csv or .json"},
		{[]string{"train", "--history", filepath.Join(dir, "missing", "h.csv")}, "--history " + filepath.Join(dir, "missing", "h.csv") + ": the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{[]string{"train", "--data-dir", filepath.Join(dir, "missing")}, "--data-dir: stat"},
		{[]string{"train", "--data-dir", file}, "is not a directory"},
		{[]string{"train", "--epochs", "ten"}, `invalid argument "ten" for "--epochs" flag`},
		{[]string{"train", "--epochs", "ten"}, "(see 'goras train --help')"},
		{[]string{"train", "--seed", "-1"}, `invalid argument "-1" for "--seed" flag`},
		{[]string{"train", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"train", "extra"}, `unknown command "extra" for "goras train"`},
		{[]string{"fit"}, `unknown command "fit" for "goras"`},
		{[]string{"train", "--output", dir}, "--output " + dir + " is a directory"},
		{[]string{"train", "--output", filepath.Join(dir, "missing", "m.safetensors")}, "--output " + filepath.Join(dir, "missing", "m.safetensors") + ": the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{[]string{"train", "--limit", "0"}, "--limit must be between 1 and 60000 training images, got 0"},
		{[]string{"train", "--limit", "60001"}, "--limit must be between 1 and 60000 training images, got 60001"},
		{[]string{"train", "--dropout", "1"}, "--dropout must be in [0, 1) (the fraction of inputs dropped), got 1"},
		{[]string{"train", "--dropout", "-0.1"}, "--dropout must be in [0, 1)"},
		{[]string{"summary", "--dropout", "NaN"}, "--dropout must be in [0, 1)"},
		{[]string{"train", "--l2", "-0.001"}, "--l2 must be a number ≥ 0 (e.g. 0.0005), got -0.001"},
		{[]string{"summary", "--l2", "+Inf"}, "--l2 must be a number ≥ 0"},
		{[]string{"train", "--schedule", "linear"}, `unknown --schedule "linear"; known: exponential, cosine, piecewise`},
		{[]string{"train", "--decay-steps", "100"}, "--decay-steps applies only to --schedule exponential or cosine"},
		{[]string{"train", "--schedule", "piecewise", "--warmup-steps", "10"}, "--warmup-steps applies only to --schedule cosine"},
		{[]string{"train", "--schedule", "cosine", "--boundaries", "10"}, "--boundaries applies only to --schedule piecewise"},
		{[]string{"train", "--schedule", "cosine", "--staircase"}, "--staircase applies only to --schedule exponential"},
		{[]string{"train", "--schedule", "exponential", "--decay-steps", "0"}, "--decay-steps must be at least 1, got 0"},
		{[]string{"train", "--schedule", "exponential", "--decay-rate", "-1"}, "--decay-rate must be a positive number, got -1"},
		{[]string{"train", "--schedule", "cosine", "--alpha", "2"}, "--alpha must be in [0, 1], got 2"},
		{[]string{"train", "--schedule", "cosine", "--warmup-steps", "-5"}, "--warmup-steps must be ≥ 0, got -5"},
		{[]string{"train", "--schedule", "cosine", "--warmup-steps", "6000"}, "--warmup-steps 6000 leaves no step of the run's 6000 to decay over"},
		{[]string{"train", "--schedule", "piecewise", "--boundaries", "500,100"}, `--boundaries must be increasing positive step counts separated by commas (e.g. 4690,7035), got "500,100"`},
		{[]string{"train", "--schedule", "piecewise", "--boundaries", "x"}, "--boundaries must be increasing positive step counts"},
		{[]string{"train", "--early-stopping", "-1"}, "--early-stopping must be a patience of at least 1 epoch (0 = off), got -1"},
		{[]string{"train", "--reduce-lr-on-plateau", "-2"}, "--reduce-lr-on-plateau must be a patience of at least 1 epoch"},
		{[]string{"train", "--reduce-lr-on-plateau", "2", "--schedule", "cosine"}, "--reduce-lr-on-plateau and --schedule both set the learning rate; use one"},
		{[]string{"evaluate"}, "evaluate takes one MODEL_FILE, got 0 arguments (see 'goras evaluate --help')"},
		{[]string{"evaluate", "a", "b"}, "evaluate takes one MODEL_FILE, got 2 arguments"},
		{[]string{"evaluate", "--batch-size", "0", file}, "--batch-size must be at least 1, got 0"},
		{[]string{"evaluate", filepath.Join(dir, "missing.safetensors")}, "missing.safetensors: no such file or directory"},
		{[]string{"evaluate", file}, "goras: safetensors: " + file},
		{[]string{"evaluate", "--confusion", filepath.Join(dir, "cm.gif"), file}, "--confusion " + filepath.Join(dir, "cm.gif") + ": the file name must end in .png or .svg"},
		{[]string{"evaluate", "--errors", filepath.Join(dir, "missing", "w.png"), file}, "--errors " + filepath.Join(dir, "missing", "w.png") + ": the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{[]string{"evaluate", "--max-errors", "0", file}, "--max-errors must be at least 1, got 0"},
		{[]string{"train", "--keep", "2"}, "--keep needs --checkpoint-dir, the directory the checkpoints are in"},
		{[]string{"train", "--resume"}, "--resume needs --checkpoint-dir"},
		{[]string{"train", "--checkpoint-dir", dir, "--keep", "-1"}, "--keep must be at least 1 checkpoint (0 keeps every one), got -1"},
		{[]string{"train", "--checkpoint-dir", file}, "--checkpoint-dir " + file + " is a file; name a directory"},
		{[]string{"train", "--plot", filepath.Join(dir, "c.pdf")}, "--plot " + filepath.Join(dir, "c.pdf") + ": the file name must end in .png or .svg"},
		{[]string{"train", "--plot", filepath.Join(dir, "missing", "c.png")}, "--plot " + filepath.Join(dir, "missing", "c.png") + ": the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{[]string{"train", "--checkpoint-dir", runDir, "--resume", "--optimizer", "nope"}, `unknown --optimizer "nope"`},
	}
	for _, c := range cases {
		r := cli(t, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("goras %s: exit %d, stderr %q; want exit 1 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
		if !strings.HasPrefix(r.stderr, "goras: ") || strings.HasPrefix(r.stderr, "goras: goras:") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("goras %s: want one line prefixed \"goras: \", got %q", strings.Join(c.args, " "), r.stderr)
		}
		// Bad flags are caught before anything is loaded or printed.
		if r.stdout != "" {
			t.Errorf("goras %s printed to stdout before failing:\n%s", strings.Join(c.args, " "), r.stdout)
		}
	}
}

// A misspelt flag gets the nearest one suggested.
func TestFlagSuggestions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--epoch", "3"}, "unknown flag: --epoch; did you mean --epochs? (see 'goras train --help')"},
		{[]string{"train", "--lr", "0.1"}, "did you mean --learning-rate?"},
		{[]string{"train", "--chekpoint-dir", "x"}, "did you mean --checkpoint-dir?"},
		{[]string{"train", "--hist", "h.csv"}, "did you mean --history?"},
		{[]string{"predict", "--jsn"}, "did you mean --json?"},
		{[]string{"train", "--zzzzzzz"}, "unknown flag: --zzzzzzz (see 'goras train --help')"},
	} {
		wantFail(t, c.want, c.args...)
	}
	if d := editDistance("kitten", "sitting"); d != 3 {
		t.Errorf("editDistance(kitten, sitting) = %d, want 3", d)
	}
}
