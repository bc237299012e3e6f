package main

import (
	"regexp"
	"strings"
	"testing"
)

// The tests of the commands' --help texts.

func TestHelpListsFlags(t *testing.T) {
	cases := map[string][]string{
		"train": {"--model", "--epochs", "--batch-size", "--learning-rate", "--optimizer", "--momentum",
			"--nesterov", "--loss", "--seed", "--verbose", "--history", "--data-dir", "--output", "--limit",
			"--dropout", "--l2", "--schedule", "--decay-steps", "--decay-rate", "--staircase", "--warmup-steps",
			"--alpha", "--boundaries", "--early-stopping", "--reduce-lr-on-plateau", "--checkpoint-dir", "--keep", "--resume", "--plot",
			"lenet5", "keras-convnet", "34,826", "61,706", "validation_split",
			"--dataset", "fashion_mnist", "--data DIR", "--validation-split", "--image-size", "--color-mode", "val_loss: X - val_accuracy: Y"},
		"summary":  {"--model", "--dropout", "--l2", "lenet5"},
		"evaluate": {"--batch-size", "--data-dir", "MODEL_FILE", "--confusion", "--errors", "--max-errors", "--dataset", "fashion_mnist"},
		"predict":  {"--json", "--top", "--show", "MODEL_FILE IMAGE...", `{"file": "seven.png", "class": 7, "top": [{"class": 7, "probability": 0.9812}`, "9 Ankle boot (0.9650)", `"class_name"`},
		"plot":     {"-o, --output", "HISTORY_FILE", ".csv", ".json", ".safetensors"},
		"version":  {"--help"},
	}
	for cmd, flags := range cases {
		r := cli(t, cmd, "--help")
		if r.code != 0 || r.stderr != "" {
			t.Errorf("goras %s --help: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
		for _, f := range flags {
			if !strings.Contains(r.stdout, f) {
				t.Errorf("goras %s --help does not list %s:\n%s", cmd, f, r.stdout)
			}
		}
	}
	r := cli(t, "--help")
	for _, sub := range []string{"train", "summary", "evaluate", "predict", "plot", "version"} {
		if !regexp.MustCompile(`(?m)^  ` + sub + ` `).MatchString(r.stdout) {
			t.Errorf("goras --help does not list the %s subcommand:\n%s", sub, r.stdout)
		}
	}
}

// The help of train says what docs/bounty.md measured for the recipes.
func TestTrainHelpMeasuredTimes(t *testing.T) {
	help := cli(t, "train", "--help").stdout
	for _, want := range []string{"fast 99.13–99.29 % test accuracy in 6.8–7.6 s", "best 99.64 % in 2 min 37 s", "sprint 99.58–99.65 % in 64–101 s"} {
		if !strings.Contains(help, want) {
			t.Errorf("train --help lacks %q", want)
		}
	}
}

// import --help names the commands that read the file it writes, and only
// those: goras train's --model takes a network's name, not a file (the
// help said "goras train (--model FILE)", which train refuses as an
// unknown model).
func TestImportHelpNamesItsReaders(t *testing.T) {
	help := cli(t, "import", "--help").stdout
	if strings.Contains(help, "--model FILE") || strings.Contains(help, "goras train") {
		t.Errorf("import --help says goras train reads the file:\n%s", help)
	}
	for _, c := range []string{"evaluate", "predict", "summary", "export"} {
		if !strings.Contains(help, c) {
			t.Errorf("import --help does not name %s:\n%s", c, help)
		}
	}
	if r := cli(t, "train", "--model", "lenet5.safetensors"); r.code != 1 || !strings.Contains(r.stderr, `unknown model "lenet5.safetensors"`) {
		t.Errorf("train --model FILE: exit %d, stderr %q", r.code, r.stderr)
	}
}
