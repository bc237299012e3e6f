package main

import (
	"strings"
	"testing"

	"github.com/goras-ml/goras/mixedprecision"
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
