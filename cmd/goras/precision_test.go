package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/goras-ml/goras/internal/nobf16"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/recipes"
)

// TestPrecisionFlag: --precision sets the global policy before the model
// is built (float32 where the CPU has no fast bfloat16), the run's
// description names it, a later run without the flag is float32 again,
// and an unknown policy is refused with the two names.
func TestPrecisionFlag(t *testing.T) {
	defer mixedprecision.SetGlobalPolicy("float32")
	mixedprecision.SetNoticeOutput(nil)
	r := resolveArgs(t, "--model", "keras-convnet", "--precision", "mixed_bfloat16")
	want := mixedprecision.GlobalPolicy().Name()
	if want == "mixed_bfloat16" && !strings.HasSuffix(r.describe(1), ", precision mixed_bfloat16") {
		t.Errorf("describe() = %q, want it to end with the precision", r.describe(1))
	}
	resolveArgs(t, "--model", "keras-convnet")
	if p := mixedprecision.GlobalPolicy().Name(); p != "float32" {
		t.Errorf("a run without --precision left policy %s", p)
	}
	cmd, f := newTrainCmdFlags()
	if err := cmd.ParseFlags([]string{"--precision", "mixed_float16"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.resolve(cmd.Flags().Changed)
	if err == nil || err.Error() != `--precision must be float32 or mixed_bfloat16, got "mixed_float16"` {
		t.Errorf("--precision mixed_float16: %v", err)
	}
}

// TestRecipePrecision: the fixed recipes take --precision, checked before
// anything is built or loaded.
func TestRecipePrecision(t *testing.T) {
	r := cli(t, "train", "--model", "best", "--precision", "bf16")
	if r.code != 1 || !strings.Contains(r.stderr, `--precision must be float32 or mixed_bfloat16, got "bf16"`) {
		t.Errorf("goras train --model best --precision bf16: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cli(t, "train", "--model", "best", "--epochs", "1")
	if !strings.Contains(r.stderr, "--force and --precision") {
		t.Errorf("the recipe's refusal does not list --precision: %q", r.stderr)
	}
}

// TestRecipeOwnPrecision: sprint trains under mixed_bfloat16 unless
// --precision says otherwise; the other recipes under the flag's default.
func TestRecipeOwnPrecision(t *testing.T) {
	for _, c := range []struct {
		recipe  recipes.Recipe
		changed bool
		flag    string
		want    string
	}{
		{recipes.Sprint(), false, "float32", "mixed_bfloat16"},
		{recipes.Sprint(), true, "float32", "float32"},
		{recipes.Best(), false, "float32", "float32"},
		{recipes.Best(), true, "mixed_bfloat16", "mixed_bfloat16"},
	} {
		if got := recipePrecision(c.recipe, c.changed, c.flag); got != c.want {
			t.Errorf("%s, --precision %s given %v: %s, want %s", c.recipe.Name, c.flag, c.changed, got, c.want)
		}
	}
}

// TestResumeRecallsPrecision: --resume trains on under the interrupted
// run's --precision unless the command line gives another; a run file
// from before precision was recorded means float32, and a name goras does
// not know is a damaged file.
func TestResumeRecallsPrecision(t *testing.T) {
	const run = `{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3`
	for _, c := range []struct {
		file, want, err string
		args            []string
	}{
		{run + `, "precision": "mixed_bfloat16"}`, "mixed_bfloat16", "", nil},
		{run + `, "precision": "mixed_bfloat16"}`, "float32", "", []string{"--precision", "float32"}},
		{run + `}`, "float32", "", nil},
		{run + `, "precision": "float16"}`, "", `precision "float16" is not float32 or mixed_bfloat16`, nil},
	} {
		cmd, f := newTrainCmdFlags()
		if err := cmd.ParseFlags(append([]string{"--checkpoint-dir", "ck", "--resume"}, c.args...)); err != nil {
			t.Fatal(err)
		}
		_, err := f.recallFrom([]byte(c.file), "ck/"+runFile, cmd.Flags().Changed)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), "ck/goras-train.json is damaged ("+c.err) {
				t.Errorf("%s: %v, want %q", c.file, err, c.err)
			}
			continue
		}
		if err != nil || f.precision != c.want {
			t.Errorf("%s %v: precision %q, %v; want %q", c.file, c.args, f.precision, err, c.want)
		}
	}
	// What goras train writes: nothing for float32, the name otherwise.
	r := &recipe{precision: "mixed_bfloat16", src: &source{dataset: "mnist"}}
	if s := r.settings(1); s.Precision != "mixed_bfloat16" {
		t.Errorf("settings of a mixed_bfloat16 run record precision %q", s.Precision)
	}
	r.precision = "float32"
	if s := r.settings(1); s.Precision != "" {
		t.Errorf("settings of a float32 run record precision %q, want none", s.Precision)
	}
}

// TestRecipeNoticeOnce: where mixed_bfloat16 falls back to float32, goras
// train --model sprint writes the notice once: its summary's model (built
// before the data is read) is built without the policy, the model Run
// builds and trains with it. The summary's had it too, and the notice
// came twice. The test runs itself again as on a CPU without
// AVX512_BF16 or AMX (GODEBUG turns them off), and counts the notices of
// the summary and of Run's Build, in that order.
func TestRecipeNoticeOnce(t *testing.T) {
	if nobf16.Inside() {
		if nobf16.StillFast() {
			return
		}
		var notes bytes.Buffer
		mixedprecision.SetNoticeOutput(&notes)
		defer mixedprecision.SetNoticeOutput(nil)
		r := recipes.Sprint()
		if err := recipeSummary(io.Discard, r, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Build(1); err != nil { // Run's
			t.Fatal(err)
		}
		fmt.Printf("notices: %d\n", strings.Count(notes.String(), "mixed_bfloat16 would be slower"))
		return
	}
	if out := nobf16.Run(t, "TestRecipeNoticeOnce"); !strings.Contains(out, "notices: 1\n") {
		t.Errorf("summary then Run's Build of sprint without fast bfloat16 products: %q, want one notice", out)
	}
}
