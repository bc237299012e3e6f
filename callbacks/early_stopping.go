package callbacks

import (
	"fmt"
	"io"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/tensor"
)

// EarlyStoppingConfig holds Keras's EarlyStopping arguments; zero fields are
// Keras's defaults.
type EarlyStoppingConfig struct {
	// Monitor is the logged quantity to watch. Default "val_loss".
	Monitor string
	// MinDelta is the smallest change that counts as an improvement; its
	// absolute value is used, as in Keras. Default 0.
	MinDelta float64
	// Patience is the number of epochs without improvement after which
	// training stops. Default 0: stop at the first epoch that does not
	// improve (never at the first epoch).
	Patience int
	// Verbose 1 prints "Epoch N: early stopping" and the restore message.
	// Default 0.
	Verbose int
	// Mode is Min, Max or Auto (default), which infers the direction from
	// Monitor's name: losses and errors fall; accuracy, AUC, precision and
	// recall rise.
	Mode Mode
	// Baseline, when set, is a value the monitored quantity must beat: an
	// epoch that improves on the best so far but not on Baseline does not
	// reset the wait. Default nil (Keras None).
	Baseline *float64
	// RestoreBestWeights copies every weight (model.Params(), non-trainable
	// included) at the best epoch and writes them back when training ends,
	// whether or not it stopped early (Keras 3; tf.keras 2 restored only
	// after an early stop). Default false: the model keeps the last weights.
	RestoreBestWeights bool
	// StartFromEpoch is the number of epochs to ignore before watching, a
	// warm-up during which training never stops. Default 0.
	StartFromEpoch int
	// Output receives the Verbose messages. Default os.Stdout.
	Output io.Writer
	// Warnings receives the warning printed when Monitor is missing from an
	// epoch's logs (Keras warns and skips the epoch). Default os.Stderr.
	Warnings io.Writer
}

// EarlyStopping stops training when a monitored quantity has stopped
// improving, as keras.callbacks.EarlyStopping. At each epoch's end (from
// StartFromEpoch on) it counts the epochs since the last improvement; when
// that count reaches Patience at an epoch after the first, it sets the
// model's StopTraining.
type EarlyStopping struct {
	goras.BaseCallback
	cfg EarlyStoppingConfig
	mon monitor

	wait         int
	stoppedEpoch int
	best         float64
	bestEpoch    int
	bestWeights  []*tensor.Tensor // nil until the first watched epoch
}

// NewEarlyStopping checks cfg and fills Keras's defaults.
func NewEarlyStopping(cfg EarlyStoppingConfig) (*EarlyStopping, error) {
	const who = "EarlyStopping"
	monitor, mode, err := resolveMonitor(who, cfg.Monitor, cfg.Mode)
	if err != nil {
		return nil, err
	}
	cfg.Monitor = monitor
	switch {
	case !finite(cfg.MinDelta):
		return nil, fmt.Errorf("callbacks: %s: MinDelta must be a finite number, got %v", who, cfg.MinDelta)
	case cfg.Patience < 0:
		return nil, fmt.Errorf("callbacks: %s: Patience must be ≥ 0 epochs, got %d", who, cfg.Patience)
	case cfg.StartFromEpoch < 0:
		return nil, fmt.Errorf("callbacks: %s: StartFromEpoch must be ≥ 0, got %d", who, cfg.StartFromEpoch)
	case cfg.Baseline != nil && !finite(*cfg.Baseline):
		return nil, fmt.Errorf("callbacks: %s: Baseline must be a finite number (or nil for none), got %v", who, *cfg.Baseline)
	}
	if err := checkVerbose(who, cfg.Verbose); err != nil {
		return nil, err
	}
	cfg.Mode = mode
	cfg.Output, cfg.Warnings = orStdout(cfg.Output), orStderr(cfg.Warnings)
	if cfg.Baseline != nil {
		b := *cfg.Baseline // the caller may reuse its variable
		cfg.Baseline = &b
	}
	es := &EarlyStopping{cfg: cfg, mon: newMonitor(cfg.Monitor, mode, cfg.MinDelta)}
	es.best = es.mon.worst()
	return es, nil
}

// Config returns the configuration with every default filled in.
func (es *EarlyStopping) Config() EarlyStoppingConfig { return es.cfg }

// OnTrainBegin resets the state so that one EarlyStopping can serve several
// Fit calls. (Keras 3 resets the wait and the weights but keeps the best
// value between fits; goras resets it too, so that a second Fit is judged on
// its own.)
func (es *EarlyStopping) OnTrainBegin(goras.Logs) {
	es.wait, es.stoppedEpoch, es.bestEpoch = 0, 0, 0
	es.best = es.mon.worst()
	es.bestWeights = nil
}

// OnEpochEnd implements Keras's rule, step by step.
func (es *EarlyStopping) OnEpochEnd(epoch int, logs goras.Logs) {
	current, ok := es.mon.value(es.cfg.Warnings, "EarlyStopping", logs)
	if !ok || epoch < es.cfg.StartFromEpoch {
		return
	}
	if es.cfg.RestoreBestWeights && es.bestWeights == nil {
		// Until something improves, the first watched epoch is the best.
		es.saveWeights()
		es.bestEpoch = epoch
	}
	es.wait++
	if es.mon.improves(current, es.best) {
		es.best, es.bestEpoch = current, epoch
		if es.cfg.RestoreBestWeights {
			es.saveWeights()
		}
		// Only restart the wait when the epoch beats the baseline too.
		if es.cfg.Baseline == nil || es.mon.improves(current, *es.cfg.Baseline) {
			es.wait = 0
		}
		return
	}
	if es.wait >= es.cfg.Patience && epoch > 0 {
		es.stoppedEpoch = epoch
		mustModel("EarlyStopping", es.Model).StopTraining = true
	}
}

// OnTrainEnd reports the stop and restores the best weights.
func (es *EarlyStopping) OnTrainEnd(goras.Logs) {
	if es.stoppedEpoch > 0 && es.cfg.Verbose > 0 {
		fmt.Fprintf(es.cfg.Output, "Epoch %d: early stopping\n", es.stoppedEpoch+1)
	}
	if es.cfg.RestoreBestWeights && es.bestWeights != nil {
		if es.cfg.Verbose > 0 {
			fmt.Fprintf(es.cfg.Output, "Restoring model weights from the end of the best epoch: %d.\n", es.bestEpoch+1)
		}
		for i, p := range mustModel("EarlyStopping", es.Model).Params() {
			p.Value.CopyFrom(es.bestWeights[i])
		}
	}
}

// saveWeights copies every weight into bestWeights, allocating once.
func (es *EarlyStopping) saveWeights() {
	ps := mustModel("EarlyStopping", es.Model).Params()
	if len(es.bestWeights) != len(ps) {
		es.bestWeights = make([]*tensor.Tensor, len(ps))
		for i, p := range ps {
			es.bestWeights[i] = p.Value.Clone()
		}
		return
	}
	for i, p := range ps {
		es.bestWeights[i].CopyFrom(p.Value)
	}
}

// StoppedEpoch is the epoch (from 0) at which training was stopped, or 0 if
// it was not (as Keras's stopped_epoch).
func (es *EarlyStopping) StoppedEpoch() int { return es.stoppedEpoch }

// Best is the best monitored value seen (±Inf before any).
func (es *EarlyStopping) Best() float64 { return es.best }

// BestEpoch is the epoch (from 0) of the best value.
func (es *EarlyStopping) BestEpoch() int { return es.bestEpoch }

// Wait is the number of watched epochs since the last improvement.
func (es *EarlyStopping) Wait() int { return es.wait }
