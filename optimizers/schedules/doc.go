// Package schedules holds learning-rate schedules, Keras's
// keras.optimizers.schedules: functions from the optimizer's step count
// (the number of updates already applied) to the learning rate of the next
// update.
//
// A schedule goes where a learning rate would go, in the Schedule field of an
// optimizer's config:
//
//	s, err := schedules.NewExponentialDecay(schedules.ExponentialDecayConfig{
//		InitialLearningRate: 0.1, DecaySteps: 1000, DecayRate: 0.96, Staircase: true,
//	})
//	opt, err := optimizers.NewSGD(optimizers.SGDConfig{Schedule: s})
//
// The formulas are Keras 3's (keras/src/optimizers/schedules/
// learning_rate_schedule.py), evaluated in float64. Schedules are immutable
// after construction and At never allocates, so an optimizer may call it on
// every step.
package schedules
