package callbacks

import (
	"fmt"
	"io"

	"github.com/goras-ml/goras"
)

// ReduceLROnPlateauConfig holds Keras's ReduceLROnPlateau arguments; zero
// fields are Keras's defaults.
type ReduceLROnPlateauConfig struct {
	// Monitor is the logged quantity to watch. Default "val_loss".
	Monitor string
	// Factor multiplies the learning rate at each reduction, in (0, 1).
	// Default 0.1.
	Factor float64
	// Patience is the number of epochs without improvement after which the
	// rate is reduced. Default 10 (0 means the default; in Keras a patience
	// of 0 behaves exactly as 1, so 1 is the way to ask for it).
	Patience int
	// Verbose 1 prints "Epoch N: ReduceLROnPlateau reducing learning rate
	// to X." Default 0.
	Verbose int
	// Mode is Min, Max or Auto (default), inferred from Monitor's name as
	// EarlyStopping does.
	Mode Mode
	// MinDelta is the smallest change that counts as an improvement
	// (absolute value used). Default nil = 1e-4; new(0.0) for none.
	MinDelta *float64
	// Cooldown is the number of epochs after a reduction during which the
	// wait does not grow. Default 0.
	Cooldown int
	// MinLR is the floor of the learning rate: new = max(lr·Factor, MinLR),
	// and no reduction happens once lr ≤ MinLR. Default 0.
	MinLR float64
	// Output receives the Verbose messages. Default os.Stdout.
	Output io.Writer
	// Warnings receives the warning printed when Monitor is missing from an
	// epoch's logs. Default os.Stderr.
	Warnings io.Writer
}

// ReduceLROnPlateau divides the learning rate when a monitored quantity has
// stopped improving, as keras.callbacks.ReduceLROnPlateau. Like Keras 3 it
// also logs the learning rate of the epoch as "learning_rate" in the epoch's
// logs, where callbacks after it (CSVLogger) see it.
//
// It changes the rate through model.Optimizer().SetLearningRate, so the
// optimizer must have a fixed rate, not a schedule.
type ReduceLROnPlateau struct {
	goras.BaseCallback
	cfg      ReduceLROnPlateauConfig
	minDelta float64
	mon      monitor

	best     float64
	wait     int
	cooldown int // epochs of cooldown left
}

// NewReduceLROnPlateau checks cfg and fills Keras's defaults.
func NewReduceLROnPlateau(cfg ReduceLROnPlateauConfig) (*ReduceLROnPlateau, error) {
	const who = "ReduceLROnPlateau"
	if cfg.Factor == 0 {
		cfg.Factor = 0.1
	}
	if cfg.Patience == 0 {
		cfg.Patience = 10
	}
	minDelta := 1e-4
	if cfg.MinDelta != nil {
		minDelta = *cfg.MinDelta
	}
	monitor, mode, err := resolveMonitor(who, cfg.Monitor, cfg.Mode)
	if err != nil {
		return nil, err
	}
	cfg.Monitor = monitor
	switch {
	case !(cfg.Factor > 0 && cfg.Factor < 1):
		return nil, fmt.Errorf("callbacks: %s: Factor must be in (0, 1) (new rate = rate × Factor), got %v", who, cfg.Factor)
	case cfg.Patience < 0:
		return nil, fmt.Errorf("callbacks: %s: Patience must be ≥ 1 epoch (0 = default 10), got %d", who, cfg.Patience)
	case !finite(minDelta):
		return nil, fmt.Errorf("callbacks: %s: MinDelta must be a finite number, got %v", who, minDelta)
	case cfg.Cooldown < 0:
		return nil, fmt.Errorf("callbacks: %s: Cooldown must be ≥ 0 epochs, got %d", who, cfg.Cooldown)
	case !finite(cfg.MinLR) || cfg.MinLR < 0:
		return nil, fmt.Errorf("callbacks: %s: MinLR must be a finite number ≥ 0, got %v", who, cfg.MinLR)
	}
	if err := checkVerbose(who, cfg.Verbose); err != nil {
		return nil, err
	}
	cfg.Mode = mode
	cfg.MinDelta = &minDelta
	cfg.Output, cfg.Warnings = orStdout(cfg.Output), orStderr(cfg.Warnings)
	r := &ReduceLROnPlateau{cfg: cfg, minDelta: minDelta, mon: newMonitor(cfg.Monitor, mode, minDelta)}
	r.best = r.mon.worst()
	return r, nil
}

// Config returns the configuration with every default filled in.
func (r *ReduceLROnPlateau) Config() ReduceLROnPlateauConfig { return r.cfg }

// OnTrainBegin resets the wait, the cooldown and the best value, and checks
// that the optimizer's rate can be set.
func (r *ReduceLROnPlateau) OnTrainBegin(goras.Logs) {
	settableRate("ReduceLROnPlateau", r.Model)
	r.wait, r.cooldown = 0, 0
	r.best = r.mon.worst()
}

// OnEpochEnd logs the rate, then applies Keras's rule: during a cooldown the
// wait stays 0; an improvement resets it; otherwise, out of cooldown, it
// grows and at Patience the rate is cut.
func (r *ReduceLROnPlateau) OnEpochEnd(epoch int, logs goras.Logs) {
	opt := mustModel("ReduceLROnPlateau", r.Model).Optimizer()
	if logs != nil {
		logs["learning_rate"] = opt.LearningRate()
	}
	current, ok := r.mon.value(r.cfg.Warnings, "Learning rate reduction", logs)
	if !ok {
		return
	}
	if r.cooldown > 0 {
		r.cooldown--
		r.wait = 0
	}
	if r.mon.improves(current, r.best) {
		r.best, r.wait = current, 0
		return
	}
	if r.cooldown > 0 {
		return
	}
	r.wait++
	if r.wait < r.cfg.Patience {
		return
	}
	old := opt.LearningRate()
	// Keras compares with float32(min_lr): its rate is a float32 variable.
	if old > float64(float32(r.cfg.MinLR)) {
		lr := max(old*r.cfg.Factor, r.cfg.MinLR)
		setRate("ReduceLROnPlateau", opt, lr)
		if r.cfg.Verbose > 0 {
			fmt.Fprintf(r.cfg.Output, "\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s.\n", epoch+1, pyRepr(lr))
		}
		r.cooldown, r.wait = r.cfg.Cooldown, 0
	}
}

// Wait is the number of epochs since the last improvement (or cooldown).
func (r *ReduceLROnPlateau) Wait() int { return r.wait }

// Best is the best monitored value seen (±Inf before any).
func (r *ReduceLROnPlateau) Best() float64 { return r.best }
