package main

import (
	"testing"
)

// FuzzRunSettings: whatever goras-train.json holds, --resume recalls the
// run or says the file is damaged; it never panics, and a recalled setting
// is one goras train would have written (positive epochs and batch size,
// a known data set or a folder whose settings pass the flags' checks).
func FuzzRunSettings(f *testing.F) {
	f.Add([]byte(`{"model": "lenet5", "epochs": 5, "batch_size": 128, "limit": 1000, "seed": 1}`))
	f.Add([]byte(`{"model": "", "epochs": -3, "batch_size": 0, "seed": 18446744073709551615}`))
	f.Add([]byte(`[1, 2]`))
	f.Add([]byte(`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "dataset": "fashion_mnist"}`))
	f.Add([]byte(`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "data": {"dir": "/pics", "image_size": [16, 24], "color_mode": "rgb", "validation_split": 0.25}}`))
	f.Add([]byte(`{"model": "mlp", "epochs": 2, "batch_size": 10, "limit": 5, "seed": 3, "data": {"dir": "/p", "image_size": [1, 1], "color_mode": "grayscale", "validation_split": 1e-9}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// The bytes as recallRun reads them from the file, without the
		// file: a fuzz input touches no disk.
		fl := &trainFlags{checkpointDir: "ckpt", epochs: 7, batchSize: 9, data: dataFlags{dataset: datasetMNIST, validationSplit: 0.2}}
		set, err := fl.recallFrom(b, "ckpt/"+runFile, func(string) bool { return false })
		if err != nil {
			return
		}
		if fl.epochs <= 0 || fl.batchSize <= 0 || fl.limit < 0 {
			t.Errorf("recalled epochs %d, batch size %d, limit %d from %q", fl.epochs, fl.batchSize, fl.limit, b)
		}
		if _, err := fl.data.check(set); err != nil {
			t.Errorf("recalled data %+v from %q, which goras train refuses: %v", fl.data, b, err)
		}
	})
}
