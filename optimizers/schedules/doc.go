// Package schedules holds learning-rate schedules, Keras's
// keras.optimizers.schedules: functions from the optimizer's step count
// (the number of updates already applied) to the learning rate of the next
// update.
//
// A schedule goes where a learning rate would go, as an optimizer's Schedule
// option. Keras's required arguments are the constructor's arguments, its
// optional ones are options (Staircase, Alpha, WarmupTarget, WarmupSteps);
// an option given is used as given, zero included:
//
//	s, err := schedules.NewExponentialDecay(0.1, 1000, 0.96, schedules.Staircase(true))
//	opt, err := optimizers.NewSGD(optimizers.Schedule(s))
//
// Each schedule has one description, Keras's class_name and get_config
// (Name and Config; Serialize puts them together as an optimizer's
// learning_rate holds them), and one way back, FromConfig, which also
// rebuilds the schedules of one's own added with Register.
//
// The formulas are Keras 3's (keras/src/optimizers/schedules/
// learning_rate_schedule.py), evaluated in float64. Schedules are immutable
// after construction and At never allocates, so an optimizer may call it on
// every step.
package schedules
