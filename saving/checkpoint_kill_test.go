package saving_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// The kill test's child: a training of $GORAS_CKPT_CHILD_EPOCHS epochs
// that writes a checkpoint every epoch into $GORAS_CKPT_CHILD, resuming from
// the newest one there if any.
const (
	childEnv       = "GORAS_CKPT_CHILD"
	childEpochsEnv = "GORAS_CKPT_CHILD_EPOCHS"
	killKeep       = 3
	killSamples    = 32
)

// killModel is big enough (≈200k weights, 2.4 MB with Adam's slots) that
// writing its checkpoint takes most of an epoch, so that kills often land
// in the middle of a write.
func killModel() *goras.Model {
	m := goras.NewSequential(layers.Input(784),
		layers.Dense(256, layers.WithActivation("relu")),
		layers.Dropout(0.2),
		layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(5)
	return m
}

func killData() (*tensor.Tensor, *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(killSamples, 784)
	x.FillUniform(rng, 0, 1)
	y := tensor.New(killSamples, 10)
	for i := range killSamples {
		y.Data()[i*10+i%10] = 1
	}
	return x, y
}

func killCompile(t testing.TB, m *goras.Model) {
	opt, err := optimizers.NewAdam()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Loss: losses.CategoricalCrossentropy{}, Optimizer: opt, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointKillChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestCheckpointKilledMidWrite")
	}
	epochs, err := strconv.Atoi(os.Getenv(childEpochsEnv))
	if err != nil {
		t.Fatal(err)
	}
	// As Keras's BackupAndRestore is used: the same model and the same
	// Fit call every time; the callback restores the newest backup, if any,
	// and Fit goes on from the epoch after it.
	x, y := killData()
	cb := backupEvery(t, dir, killKeep)
	m := killModel()
	killCompile(t, m)
	if _, err := m.Fit(context.Background(), x, y, goras.BatchSize(16), goras.Epochs(epochs),
		goras.Verbose(0), goras.Callbacks(cb)); err != nil {
		t.Fatal(err)
	}
	if cb.Err() != nil {
		t.Fatal(cb.Err())
	}
}

// TestCheckpointKilledMidWrite starts the child, kills it (SIGKILL) at a
// random moment, and checks that every checkpoint left in the directory
// loads, the newest first; then lets the last child finish and compares
// the result of this chain of killed and resumed processes with a run that
// never stopped.
func TestCheckpointKilledMidWrite(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("this is the child")
	}
	dir := t.TempDir()
	child := func(epochs int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, childEpochsEnv+"="+strconv.Itoa(epochs))
		return cmd
	}
	rng := rand.New(rand.NewPCG(2024, 5))
	kills, midWrite, lastEpoch := 0, 0, -1
	for round := 0; round < 8; round++ {
		cmd := child(1 << 30) // trains until killed
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL: no deferred function, no cleanup runs
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: the child ended otherwise than killed: %v\n%s", round, err, out.String())
		}
		kills++
		temps, _ := filepath.Glob(filepath.Join(dir, ".ckpt-*.tmp-*"))
		if len(temps) > 0 {
			midWrite++
		}
		paths, err := saving.Checkpoints(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) > killKeep+1 { // one more if killed between a write and its pruning
			t.Errorf("round %d: %d checkpoints kept, want ≤ %d", round, len(paths), killKeep+1)
		}
		_, ck, err := saving.LatestCheckpoint(dir)
		if errors.Is(err, saving.ErrNoCheckpoint) && lastEpoch < 0 {
			continue // killed before the first checkpoint
		}
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(ck.Skipped) > 0 {
			t.Errorf("round %d: the newest checkpoint did not load: %v", round, ck.Skipped)
		}
		for _, p := range paths {
			if _, _, err := saving.LoadCheckpoint(p); err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		if ck.Epoch < lastEpoch {
			t.Errorf("round %d: the newest checkpoint went back from epoch %d to %d", round, lastEpoch, ck.Epoch)
		}
		lastEpoch = ck.Epoch
	}
	// The last child runs 3 epochs more than the newest checkpoint has.
	epochs := lastEpoch + 1 + 3
	t.Logf("%d kills, %d of them during a checkpoint write (temporary file present); last child trains to epoch %d", kills, midWrite, epochs)
	if out, err := child(epochs).CombinedOutput(); err != nil {
		t.Fatalf("the last child failed: %v\n%s", err, out)
	}
	resumed, ck, err := saving.LatestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != epochs-1 {
		t.Fatalf("the last child stopped at epoch %d, want %d", ck.Epoch, epochs-1)
	}
	x, y := killData()
	straight := killModel()
	killCompile(t, straight)
	h, err := straight.Fit(context.Background(), x, y, goras.BatchSize(16), goras.Epochs(epochs), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if d := sameState(resumed, straight); d != "" {
		t.Errorf("killed and resumed %d times, the weights differ from an uninterrupted run: %s", kills, d)
	}
	sameHistory(t, "goras.History across the killed processes", ck.History, h, false)
}
