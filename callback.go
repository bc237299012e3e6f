package goras

// Logs carries the numbers of a batch or an epoch to callbacks, by name:
// "loss", "accuracy", "val_loss", ...
type Logs map[string]float64

// Callback hooks into Fit, as Keras's keras.callbacks.Callback does. Embed
// BaseCallback to implement only the hooks you need. Epochs and batches are
// counted from 0. A callback stops training by setting the model's
// StopTraining.
type Callback interface {
	SetModel(m *Model)
	OnTrainBegin(logs Logs)
	OnTrainEnd(logs Logs)
	OnEpochBegin(epoch int, logs Logs)
	OnEpochEnd(epoch int, logs Logs)
	OnTrainBatchBegin(batch int, logs Logs)
	OnTrainBatchEnd(batch int, logs Logs)
}

// BaseCallback implements every hook as a no-op and keeps the model.
type BaseCallback struct {
	Model *Model
}

func (b *BaseCallback) SetModel(m *Model)         { b.Model = m }
func (*BaseCallback) OnTrainBegin(Logs)           {}
func (*BaseCallback) OnTrainEnd(Logs)             {}
func (*BaseCallback) OnEpochBegin(int, Logs)      {}
func (*BaseCallback) OnEpochEnd(int, Logs)        {}
func (*BaseCallback) OnTrainBatchBegin(int, Logs) {}
func (*BaseCallback) OnTrainBatchEnd(int, Logs)   {}
