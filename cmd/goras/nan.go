package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/saving"
)

// nanGuard stops training at the first non-finite loss (Keras's
// TerminateOnNaN, always on in goras train) and, at the end of every epoch,
// at the first non-finite weight, which a finite loss can hide (a NaN
// input under relu, a diverging layer whose output is clipped). Err then
// says where it happened; goras train reports it, exits non-zero and does
// not save the model, which would be useless. Put it before the callbacks
// that save (see noNaNBackup).
type nanGuard struct {
	*callbacks.TerminateOnNaN
	epoch, epochs, steps int // the current epoch from 0, the run's epochs and steps per epoch
	err                  error
}

// newNaNGuard makes the guard of a run of epochs epochs of steps steps;
// TerminateOnNaN's Keras message goes to out.
func newNaNGuard(out io.Writer, epochs, steps int) *nanGuard {
	t := callbacks.NewTerminateOnNaN()
	t.Output = out
	return &nanGuard{TerminateOnNaN: t, epochs: epochs, steps: steps}
}

// Err says where training met a non-finite value, nil when it did not.
func (g *nanGuard) Err() error { return g.err }

// OnEpochBegin notes the epoch, for the message.
func (g *nanGuard) OnEpochBegin(epoch int, _ goras.Logs) { g.epoch = epoch }

// OnTrainBatchEnd stops training on a non-finite loss.
func (g *nanGuard) OnTrainBatchEnd(batch int, logs goras.Logs) {
	g.TerminateOnNaN.OnTrainBatchEnd(batch, logs)
	if g.err == nil && g.Batch >= 0 {
		g.err = fmt.Errorf("training stopped at epoch %d/%d, step %d/%d: the loss became %v, so the weights are no longer numbers; "+
			"a smaller --learning-rate (or another --optimizer) usually fixes this", g.epoch+1, g.epochs, batch+1, g.steps, logs["loss"])
	}
}

// OnEpochEnd stops training when a weight is no longer finite.
func (g *nanGuard) OnEpochEnd(epoch int, _ goras.Logs) {
	if g.err != nil {
		return
	}
	if name, v, bad := nonFiniteWeight(g.Model); bad {
		g.err = fmt.Errorf("training stopped at the end of epoch %d/%d (step %d/%d): weight %s holds %v although the loss stayed finite; "+
			"a smaller --learning-rate usually fixes this", epoch+1, g.epochs, g.steps, g.steps, name, v)
		g.Model.StopTraining = true
	}
}

// nonFiniteWeight returns the name and value of m's first weight that is
// NaN or infinite.
func nonFiniteWeight(m *goras.Model) (name string, v float32, bad bool) {
	for _, p := range m.Params() {
		for _, x := range p.Value.Data() {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return p.Name, x, true
			}
		}
	}
	return "", 0, false
}

// loadModel reads the model file path for a command that uses it: a
// directory is named as such, and a model whose weights are not all finite
// is refused (see checkWeights).
func loadModel(path string) (*goras.Model, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a model file; name a .safetensors file written by goras train --output", path)
	}
	load := saving.Load
	if isONNX(path) { // an ONNX file, imported (import.go)
		load = loadONNX
	}
	m, err := load(path)
	if err != nil {
		return nil, err
	}
	return m, checkWeights(path, m)
}

// checkWeights refuses a loaded model whose weights are not all finite:
// its outputs would be NaN, which later checks would misread (a "missing
// softmax").
func checkWeights(path string, m *goras.Model) error {
	if name, v, bad := nonFiniteWeight(m); bad {
		return fmt.Errorf("%s is broken: its weight %s holds %v, so every prediction would be NaN; "+
			"it was saved from a training run that diverged. Train it again with a smaller --learning-rate", path, name, v)
	}
	return nil
}

// noNaNBackup is BackupAndRestore that does not back up an epoch at whose
// end the guard found a non-finite weight: resuming from it would go on
// from a broken model. (An epoch cut by a NaN loss is not backed up by
// BackupAndRestore itself.)
type noNaNBackup struct {
	*callbacks.BackupAndRestore
	guard *nanGuard
}

// OnEpochEnd backs the epoch up unless the guard stopped training.
func (b noNaNBackup) OnEpochEnd(epoch int, logs goras.Logs) {
	if b.guard.Err() == nil {
		b.BackupAndRestore.OnEpochEnd(epoch, logs)
	}
}
