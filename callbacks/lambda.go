package callbacks

import "github.com/goras-ml/goras"

// LambdaCallback runs the functions it is given at the matching hooks, as
// keras.callbacks.LambdaCallback; nil functions are skipped, so the zero
// value does nothing. Use it directly:
//
//	cb := &callbacks.LambdaCallback{EpochEnd: func(epoch int, logs goras.Logs) {
//		fmt.Println(epoch, logs["loss"])
//	}}
//
// The functions see the model through cb.Model.
type LambdaCallback struct {
	goras.BaseCallback
	TrainBegin      func(logs goras.Logs)            // Keras on_train_begin
	TrainEnd        func(logs goras.Logs)            // Keras on_train_end
	EpochBegin      func(epoch int, logs goras.Logs) // Keras on_epoch_begin
	EpochEnd        func(epoch int, logs goras.Logs) // Keras on_epoch_end
	TrainBatchBegin func(batch int, logs goras.Logs) // Keras on_train_batch_begin
	TrainBatchEnd   func(batch int, logs goras.Logs) // Keras on_train_batch_end
}

// OnTrainBegin calls TrainBegin.
func (l *LambdaCallback) OnTrainBegin(logs goras.Logs) {
	if l.TrainBegin != nil {
		l.TrainBegin(logs)
	}
}

// OnTrainEnd calls TrainEnd.
func (l *LambdaCallback) OnTrainEnd(logs goras.Logs) {
	if l.TrainEnd != nil {
		l.TrainEnd(logs)
	}
}

// OnEpochBegin calls EpochBegin.
func (l *LambdaCallback) OnEpochBegin(epoch int, logs goras.Logs) {
	if l.EpochBegin != nil {
		l.EpochBegin(epoch, logs)
	}
}

// OnEpochEnd calls EpochEnd.
func (l *LambdaCallback) OnEpochEnd(epoch int, logs goras.Logs) {
	if l.EpochEnd != nil {
		l.EpochEnd(epoch, logs)
	}
}

// OnTrainBatchBegin calls TrainBatchBegin.
func (l *LambdaCallback) OnTrainBatchBegin(batch int, logs goras.Logs) {
	if l.TrainBatchBegin != nil {
		l.TrainBatchBegin(batch, logs)
	}
}

// OnTrainBatchEnd calls TrainBatchEnd.
func (l *LambdaCallback) OnTrainBatchEnd(batch int, logs goras.Logs) {
	if l.TrainBatchEnd != nil {
		l.TrainBatchEnd(batch, logs)
	}
}
