package callbacks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/tensor"
)

func TestLearningRateSchedulerSetsTheRate(t *testing.T) {
	var out bytes.Buffer
	// Keras's docstring example: keep the rate 2 epochs, then halve it.
	s, err := callbacks.NewLearningRateScheduler(func(epoch int, lr float64) float64 {
		if epoch < 2 {
			return lr
		}
		return lr * 0.5
	}, callbacks.LearningRateSchedulerConfig{Verbose: 1, Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	m := tinyModel(t, 0.01)
	s.SetModel(m)
	s.OnTrainBegin(nil)
	var rates, logged []float64
	for e := 0; e < 4; e++ {
		s.OnEpochBegin(e, nil)
		rates = append(rates, m.Optimizer().LearningRate())
		logs := goras.Logs{"loss": 1}
		s.OnEpochEnd(e, logs)
		logged = append(logged, logs["learning_rate"])
	}
	want := []float64{0.01, 0.01, 0.005, 0.0025}
	if fmt.Sprint(rates) != fmt.Sprint(want) || fmt.Sprint(logged) != fmt.Sprint(want) {
		t.Errorf("rates %v, logged %v, want %v", rates, logged, want)
	}
	if !strings.HasSuffix(out.String(), "\nEpoch 4: LearningRateScheduler setting learning rate to 0.0025.\n") {
		t.Errorf("messages %q", out.String())
	}

	// In Fit: the optimizer's steps use the scheduled rate.
	m = tinyModel(t, 0.01)
	sched, _ := callbacks.NewLearningRateScheduler(func(epoch int, _ float64) float64 { return 0.1 / float64(epoch+1) }, callbacks.LearningRateSchedulerConfig{})
	var seen []float64
	probe := &callbacks.LambdaCallback{EpochEnd: func(e int, logs goras.Logs) { seen = append(seen, logs["learning_rate"]) }}
	x3, y2 := tensor.New(12, 3), tensor.New(12, 2)
	x3.FillNormal(tensor.NewRNG(1), 0, 1)
	if _, err := m.Fit(context.Background(), x3, y2, goras.Epochs(3), goras.Verbose(0), goras.Warnings(io.Discard),
		goras.Callbacks(sched, probe)); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != fmt.Sprint([]float64{0.1, 0.05, 0.1 / 3}) {
		t.Errorf("rates in Fit %v, want [0.1 0.05 0.0333…]", seen)
	}
	if _, err := callbacks.NewLearningRateScheduler(nil, callbacks.LearningRateSchedulerConfig{}); err == nil {
		t.Error("nil schedule accepted")
	}
	bad, _ := callbacks.NewLearningRateScheduler(func(int, float64) float64 { return math.NaN() }, callbacks.LearningRateSchedulerConfig{})
	bad.SetModel(tinyModel(t, 0.1))
	if msg := mustPanic(t, func() { bad.OnEpochBegin(3, nil) }); !strings.Contains(msg, "returned NaN at epoch 3") {
		t.Errorf("panic %q", msg)
	}
}

func TestCSVLoggerWritesKerasFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.csv")
	c, err := callbacks.NewCSVLogger(path, callbacks.CSVLoggerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m := tinyModel(t, 0.1)
	c.SetModel(m)
	c.OnTrainBegin(nil)
	c.OnEpochEnd(0, goras.Logs{"val_loss": 1e-05, "loss": 0.5, "accuracy": 0.25})
	// Flushed after every epoch: readable before training ends.
	if got, _ := os.ReadFile(path); string(got) != "epoch,accuracy,loss,val_loss\r\n0,0.25,0.5,1e-05\r\n" {
		t.Errorf("after epoch 0: %q", got)
	}
	c.OnEpochEnd(1, goras.Logs{"loss": 2, "accuracy": 1.0 / 3})
	c.OnTrainEnd(nil)
	want := "epoch,accuracy,loss,val_loss\r\n0,0.25,0.5,1e-05\r\n1,0.3333333333333333,2.0,NA\r\n"
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("file %q, want %q", got, want)
	}
	// Append: no second header; a new run without Append overwrites.
	a, _ := callbacks.NewCSVLogger(path, callbacks.CSVLoggerConfig{Append: true, Separator: ";"})
	a.SetModel(m)
	a.OnTrainBegin(nil)
	a.OnEpochEnd(2, goras.Logs{"accuracy": 0.5, "loss": 0.125, "val_loss": 1e16})
	a.OnTrainEnd(nil)
	if got, _ := os.ReadFile(path); string(got) != want+"2;0.5;0.125;1e+16\r\n" {
		t.Errorf("appended file %q", got)
	}
	c.OnTrainBegin(nil)
	c.OnEpochEnd(0, goras.Logs{"loss": 0.0001})
	c.OnTrainEnd(nil)
	if got, _ := os.ReadFile(path); string(got) != "epoch,loss\r\n0,0.0001\r\n" {
		t.Errorf("rewritten file %q", got)
	}
	// Append to a missing file writes the header.
	p2 := filepath.Join(dir, "new.csv")
	a, _ = callbacks.NewCSVLogger(p2, callbacks.CSVLoggerConfig{Append: true})
	a.SetModel(m)
	a.OnTrainBegin(nil)
	a.OnEpochEnd(0, goras.Logs{"loss": 1})
	a.OnTrainEnd(nil)
	if got, _ := os.ReadFile(p2); string(got) != "epoch,loss\r\n0,1.0\r\n" {
		t.Errorf("new appended file %q", got)
	}

	// A file that cannot be written: message, Err, training stopped.
	var msg bytes.Buffer
	b, _ := callbacks.NewCSVLogger(filepath.Join(dir, "no", "such", "dir.csv"), callbacks.CSVLoggerConfig{Output: &msg})
	b.SetModel(m)
	m.StopTraining = false
	b.OnTrainBegin(nil)
	b.OnEpochBegin(0, nil)
	if b.Err() == nil || !m.StopTraining || !strings.Contains(msg.String(), "training stopped") {
		t.Errorf("unwritable file: err %v, stop %v, message %q", b.Err(), m.StopTraining, msg.String())
	}
	for _, sep := range []string{";;", "\n", `"`} {
		if _, err := callbacks.NewCSVLogger(path, callbacks.CSVLoggerConfig{Separator: sep}); err == nil {
			t.Errorf("separator %q accepted", sep)
		}
	}
	if _, err := callbacks.NewCSVLogger("", callbacks.CSVLoggerConfig{}); err == nil {
		t.Error("empty file name accepted")
	}
}

func TestTerminateOnNaN(t *testing.T) {
	var out bytes.Buffer
	c := callbacks.NewTerminateOnNaN()
	c.Output = &out
	m := tinyModel(t, 0.1)
	c.SetModel(m)
	c.OnTrainBegin(nil)
	for b, loss := range []float64{0.5, 1e300} {
		c.OnTrainBatchEnd(b, goras.Logs{"loss": loss})
	}
	if m.StopTraining || c.Batch != -1 {
		t.Fatal("stopped on a finite loss")
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		m.StopTraining = false
		c.OnTrainBatchEnd(7, goras.Logs{"loss": bad})
		if !m.StopTraining || c.Batch != 7 {
			t.Errorf("loss %v did not stop training", bad)
		}
	}
	if !strings.HasPrefix(out.String(), "Batch 7: Invalid loss, terminating training\n") {
		t.Errorf("message %q", out.String())
	}

	// In Fit: a rate of 1e30 sends the MSE loss to Inf/NaN within a few
	// batches; training stops at that batch.
	x, y := tensor.New(64, 3), tensor.New(64, 2)
	x.FillNormal(tensor.NewRNG(1), 0, 1)
	y.FillNormal(tensor.NewRNG(2), 0, 1)
	m = tinyModel(t, 1e30)
	c = callbacks.NewTerminateOnNaN()
	c.Output = io.Discard
	var losses []float64
	probe := &callbacks.LambdaCallback{TrainBatchEnd: func(_ int, logs goras.Logs) { losses = append(losses, logs["loss"]) }}
	h, err := m.Fit(context.Background(), x, y, goras.BatchSize(4), goras.Epochs(5), goras.Verbose(0),
		goras.Warnings(io.Discard), goras.Callbacks(probe, c))
	if err != nil {
		t.Fatal(err)
	}
	last := losses[len(losses)-1]
	if len(h.Epoch) != 1 || c.Batch != len(losses)-1 || c.Batch >= 15 || !(math.IsNaN(last) || math.IsInf(last, 0)) {
		t.Errorf("ran %d epochs, %d batches (losses %v), stopped at batch %d; want a stop in epoch 1 at the first bad loss",
			len(h.Epoch), len(losses), losses, c.Batch)
	}
	for _, l := range losses[:len(losses)-1] {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			t.Errorf("went on after loss %v", l)
		}
	}
}

func TestLambdaCallbackCallsEachHook(t *testing.T) {
	var calls []string
	rec := func(s string) { calls = append(calls, s) }
	l := &callbacks.LambdaCallback{
		TrainBegin:      func(goras.Logs) { rec("train_begin") },
		TrainEnd:        func(goras.Logs) { rec("train_end") },
		EpochBegin:      func(e int, _ goras.Logs) { rec(fmt.Sprint("epoch_begin ", e)) },
		EpochEnd:        func(e int, logs goras.Logs) { rec(fmt.Sprint("epoch_end ", e, " ", logs["loss"] > 0)) },
		TrainBatchBegin: func(b int, _ goras.Logs) { rec(fmt.Sprint("batch_begin ", b)) },
		TrainBatchEnd:   func(b int, _ goras.Logs) { rec(fmt.Sprint("batch_end ", b)) },
	}
	x, y := tensor.New(4, 3), tensor.New(4, 2)
	x.FillNormal(tensor.NewRNG(1), 0, 1)
	m := tinyModel(t, 0.1)
	if _, err := m.Fit(context.Background(), x, y, goras.BatchSize(2), goras.Epochs(2), goras.Verbose(0),
		goras.Warnings(io.Discard), goras.Callbacks(l, &callbacks.LambdaCallback{})); err != nil {
		t.Fatal(err)
	}
	want := "train_begin|epoch_begin 0|batch_begin 0|batch_end 0|batch_begin 1|batch_end 1|epoch_end 0 true|" +
		"epoch_begin 1|batch_begin 0|batch_end 0|batch_begin 1|batch_end 1|epoch_end 1 true|train_end"
	if got := strings.Join(calls, "|"); got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}
	if l.Model != m {
		t.Error("the model was not set")
	}
}
