package callbacks

import (
	"errors"
	"fmt"
	"io"

	"github.com/goras-ml/goras"
)

// LearningRateSchedulerConfig holds the optional arguments of Keras's
// LearningRateScheduler.
type LearningRateSchedulerConfig struct {
	// Verbose 1 prints "Epoch N: LearningRateScheduler setting learning
	// rate to X." at each epoch's start. Default 0.
	Verbose int
	// Output receives the Verbose messages. Default os.Stdout.
	Output io.Writer
}

// LearningRateScheduler sets the optimizer's learning rate at the start of
// every epoch to schedule(epoch, current rate), epoch counted from 0, as
// keras.callbacks.LearningRateScheduler; it logs the epoch's rate as
// "learning_rate" in the epoch's logs, as Keras 3 does.
//
// The optimizer must have a fixed rate, not a schedule of its own; schedule
// must return a finite rate ≥ 0 (anything else panics, naming the epoch).
type LearningRateScheduler struct {
	goras.BaseCallback
	schedule func(epoch int, lr float64) float64
	cfg      LearningRateSchedulerConfig
}

// NewLearningRateScheduler wraps schedule, e.g.
//
//	func(epoch int, lr float64) float64 {
//		if epoch < 10 {
//			return lr
//		}
//		return lr * math.Exp(-0.1)
//	}
func NewLearningRateScheduler(schedule func(epoch int, lr float64) float64, cfg LearningRateSchedulerConfig) (*LearningRateScheduler, error) {
	if schedule == nil {
		return nil, errors.New("callbacks: LearningRateScheduler needs a schedule function func(epoch int, lr float64) float64")
	}
	if err := checkVerbose("LearningRateScheduler", cfg.Verbose); err != nil {
		return nil, err
	}
	cfg.Output = orStdout(cfg.Output)
	return &LearningRateScheduler{schedule: schedule, cfg: cfg}, nil
}

// OnTrainBegin checks that the optimizer's rate can be set.
func (s *LearningRateScheduler) OnTrainBegin(goras.Logs) {
	settableRate("LearningRateScheduler", s.Model)
}

// OnEpochBegin sets the rate for the epoch.
func (s *LearningRateScheduler) OnEpochBegin(epoch int, _ goras.Logs) {
	opt := mustModel("LearningRateScheduler", s.Model).Optimizer()
	lr := s.schedule(epoch, opt.LearningRate())
	if !finite(lr) || lr < 0 {
		panic(fmt.Sprintf("callbacks: LearningRateScheduler: the schedule returned %v at epoch %d; a learning rate must be a finite number ≥ 0", lr, epoch))
	}
	setRate("LearningRateScheduler", opt, lr)
	if s.cfg.Verbose > 0 {
		fmt.Fprintf(s.cfg.Output, "\nEpoch %d: LearningRateScheduler setting learning rate to %s.\n", epoch+1, pyRepr(lr))
	}
}

// OnEpochEnd logs the rate as "learning_rate".
func (s *LearningRateScheduler) OnEpochEnd(_ int, logs goras.Logs) {
	if logs != nil {
		logs["learning_rate"] = mustModel("LearningRateScheduler", s.Model).Optimizer().LearningRate()
	}
}
