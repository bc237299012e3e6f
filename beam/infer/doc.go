// Package infer reads many handwritten digits with one model as an Apache
// Beam pipeline, Beam's RunInference pattern: pictures (Files) or IDX image
// files (IDX) are read by the workers, batched within each bundle and
// predicted by a goras model file or an ONNX model loaded once per worker
// process (Predict, in the DoFn's Setup); Write writes JSONL, each line the
// object `goras predict --json` prints for a picture
// (json.Marshal of predict.Top), sorted by name in each output file.
//
//	bad, err := infer.Run(ctx, infer.Options{Model: "best.safetensors",
//		IDX: []string{"t10k-images-idx3-ubyte.gz"}, Out: "preds.jsonl"})
//
// Run needs beam.Init first; it runs on prism in the calling process unless
// Beam's --runner flag names another runner (docs/scale.md).
package infer
