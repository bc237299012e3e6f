// Package saving writes models to files and reads them back: one
// .safetensors file per model, the format PyTorch, Keras and the model hubs
// share, holding every weight as a float32 tensor under its Param name
// ("dense/kernel") and, in the file's __metadata__, the model's one
// description (the architecture as Keras's JSON, the compile settings, the
// seed, and the class names when the model has them: goras.Model's
// SetClassNames). Other frameworks' safetensors readers read the weights as
// they are.
//
//	if err := saving.Save(model, "mlp.safetensors"); err != nil { ... }
//	model, err := saving.Load("mlp.safetensors")
//
// The entry points:
//
//   - Save and Load: the whole model; Load gives back a model that predicts
//     the same, bit for bit, compiled again if it was compiled.
//   - SaveWeights and LoadWeights: the weights alone, into a model built in
//     code (F16, BF16 and F64 tensors from elsewhere are read too).
//   - SaveCheckpoint, LoadCheckpoint and Restore: a model file plus the
//     optimizer's state, the random generators' and the History, so that a
//     run resumed from it ends with the same weights as one never stopped.
//   - CheckpointPath, Checkpoints, LatestCheckpoint, RestoreLatest, Prune and
//     RemoveStale: a directory of checkpoints, one per epoch, as the
//     callbacks.BackupAndRestore callback keeps it.
//
// Every write is atomic (a temporary file renamed over the path, through
// internal/atomicfile): a crash leaves the old file or the new one, never a
// torn one. Reading trusts nothing in the file: a truncated, altered or
// hostile file, or one whose architecture declares weights it does not
// hold, is refused with an error naming the file and the fault before any
// large allocation.
//
// saving sits on floor 6 of the README's Layout, above the root package goras: it
// reads and writes the description that goras.Model.ToJSON and
// goras.ModelFromJSON produce and invents none of its own, and the CLI, the
// studio, the callbacks and package ensemble load models through it.
package saving
