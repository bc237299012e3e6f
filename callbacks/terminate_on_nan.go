package callbacks

import (
	"fmt"
	"io"
	"math"

	"github.com/goras-ml/goras"
)

// TerminateOnNaN stops training at the first batch whose logged loss is NaN
// or ±Inf, printing "Batch N: Invalid loss, terminating training", as
// keras.callbacks.TerminateOnNaN with its default raise_error=False. The
// current epoch still ends (validation, callbacks) and Fit returns normally.
// (Keras's raise_error=True has no counterpart: hooks cannot return errors;
// check the History's last loss instead.)
type TerminateOnNaN struct {
	goras.BaseCallback
	// Output receives the message. Default (nil) os.Stdout.
	Output io.Writer
	// Batch is the batch (from 0, within its epoch) at which training was
	// stopped, or -1.
	Batch int
}

// NewTerminateOnNaN returns the callback, printing to os.Stdout.
func NewTerminateOnNaN() *TerminateOnNaN { return &TerminateOnNaN{Batch: -1} }

// OnTrainBegin forgets an earlier stop.
func (t *TerminateOnNaN) OnTrainBegin(goras.Logs) { t.Batch = -1 }

// OnTrainBatchEnd checks the loss.
func (t *TerminateOnNaN) OnTrainBatchEnd(batch int, logs goras.Logs) {
	loss, ok := logs["loss"]
	if !ok || !(math.IsNaN(loss) || math.IsInf(loss, 0)) {
		return
	}
	fmt.Fprintf(orStdout(t.Output), "Batch %d: Invalid loss, terminating training\n", batch)
	t.Batch = batch
	mustModel("TerminateOnNaN", t.Model).StopTraining = true
}
