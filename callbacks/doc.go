// Package callbacks holds Keras's training callbacks for goras's Fit:
// EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger,
// TerminateOnNaN, ModelCheckpoint, BackupAndRestore and LambdaCallback, with
// Keras 3's defaults and semantics (keras/src/callbacks/*.py).
//
// Pass them to Fit with goras.Callbacks:
//
//	es, err := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{
//		Monitor: "val_loss", Patience: 3, RestoreBestWeights: true})
//	...
//	hist, err := model.Fit(ctx, x, y, goras.ValidationSplit(0.1), goras.Callbacks(es))
//
// Every constructor takes a config struct whose zero fields mean Keras's
// defaults (each field's doc says which) and returns an error for a
// configuration Keras would reject or silently misread. Optional values that
// Keras writes as None are pointers (nil = None), e.g. Baseline: new(0.9).
//
// Epochs are counted from 0 in hooks, as in Keras; messages print them from
// 1 ("Epoch 3: early stopping"), as Keras does.
//
// The goras.Callback hooks cannot return errors, so a callback that writes
// files (CSVLogger, ModelCheckpoint) reports a failed write by printing it,
// stopping training and keeping the error for its Err method. A callback used
// with a model it cannot work with (no compiled optimizer, a learning rate
// driven by a schedule) panics with a "callbacks:" message when training
// begins: that is a mistake in the program, not in its data.
package callbacks
