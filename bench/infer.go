package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/goras-ml/goras/datasets/mnist"
)

// inferResult is the line of -mode infer: one inference workload measured
// in a process that does nothing else, so that PeakRSSMB is that
// workload's own peak (the model with its initial weights, the test
// images and the plan of one batch size), not the largest of training,
// evaluation and both inference sizes as the train-mode line's is.
type inferResult struct {
	Framework      string  `json:"framework"`
	Model          string  `json:"model"`
	Status         string  `json:"status"`
	Mode           string  `json:"mode"`  // "infer"
	Batch          int     `json:"batch"` // the inference batch size
	InferImgPerSec float64 `json:"infer_img_s,omitempty"`
	LatencyMicros  float64 `json:"latency_us,omitempty"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	Threads        int     `json:"threads"`
}

// runInfer builds the model with its initial weights (the seed's; speed and
// memory do not depend on training) and runs the inference that the train
// mode times at this batch size: one image at a time for batch 1 (the
// latency loop), otherwise passes over the 10,000 test images in batches
// of batch (the throughput loop).
func runInfer(name string, w workload, test *mnist.Images, batch int, seed uint64, latencyRuns, inferRounds int) (inferResult, error) {
	r := inferResult{Framework: "goras", Model: name, Status: "ok", Mode: "infer", Batch: batch, Threads: runtime.GOMAXPROCS(0)}
	if len(w.input) == 3 {
		test = test.WithChannelAxis()
	}
	m, err := w.build(seed)
	if err != nil {
		return r, err
	}
	if batch == 1 {
		r.LatencyMicros, err = latency(m, test, latencyRuns)
	} else {
		r.InferImgPerSec, err = throughputAt(m, test, batch, inferRounds)
	}
	if err != nil {
		return r, err
	}
	r.PeakRSSMB = peakRSSMB()
	return r, nil
}

// testImages reads only MNIST's 10,000 test images, from the directory
// bench/pytorch/bench.py reads too ($GORAS_MNIST_DIR, else $GORAS_CACHE/mnist,
// else the user cache's goras/mnist), and checks the file against the
// pinned SHA-256. The training set is not loaded: its 47 MB would count in
// the inference peak.
func testImages() (*mnist.Images, error) {
	dir := os.Getenv(mnist.EnvDir)
	if dir == "" {
		if c := os.Getenv(mnist.EnvCache); c != "" {
			dir = filepath.Join(c, "mnist")
		} else if c, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(c, "goras", "mnist")
		}
	}
	f := mnist.Files()[2] // test images
	for _, name := range []string{f.Name, f.RawName()} {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		if h := hex.EncodeToString(sum[:]); h != f.SHA256 && h != f.RawSHA256 {
			return nil, fmt.Errorf("%s has SHA-256 %s, not MNIST's test images (%s gzipped); delete it and run `go run ./bench -model mlp -epochs 1` to fetch it again", path, h, f.SHA256)
		}
		return mnist.ReadImages(bytes.NewReader(b), path)
	}
	return nil, fmt.Errorf("-mode infer reads the test images from %s, which holds neither %s nor %s; run `go run ./bench -model mlp -epochs 1` once (it fetches and caches MNIST) or set %s to a folder holding them",
		dir, f.Name, f.RawName(), mnist.EnvDir)
}
