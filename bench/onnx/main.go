// Command onnx (bench/onnx) measures inference throughput on ONNX files:
// goras importing them (onnx.Load) against onnxruntime running them, on
// the same files, the same MNIST test images and the same machine.
// run.sh drives it and bench.js (onnxruntime-node); see bench/README.md.
//
//	go run ./bench/onnx -prepare -dir DIR   # write DIR/{mlp,lenet5,best}.onnx, DIR/x.f32, DIR/manifest.json
//	go run ./bench/onnx -dir DIR            # goras's throughput, one JSON line per model and batch size
//	go run ./bench/onnx -table FILE         # a Markdown table of the JSON lines in FILE (goras and onnxruntime)
//
// The networks are goras's zoo (seeded weights: speed does not depend on
// them), exported channels first, (N, 1, 28, 28), as a PyTorch user's file
// would be (the MLP takes (N, 28, 28)). goras runs with GOMAXPROCS 2, as
// onnxruntime with 2 intra-op threads.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/tensor"
)

// entry is one model of the manifest bench.js reads.
type entry struct {
	Model string `json:"model"`
	File  string `json:"file"`
	Shape []int  `json:"shape"` // per-sample input shape of the ONNX file
}

// result is one measurement, as bench.js prints it too.
type result struct {
	Framework string  `json:"framework"`
	Model     string  `json:"model"`
	Batch     int     `json:"batch"`
	ImagesPS  float64 `json:"images_per_s"`
	Calls     int     `json:"calls"`
	Seconds   float64 `json:"seconds"`
}

func main() {
	dir := flag.String("dir", "bench-onnx", "the directory of the ONNX files, the images and the manifest")
	prepare := flag.Bool("prepare", false, "write the ONNX files, the images and the manifest, then stop")
	models := flag.String("models", "mlp,lenet5,best", "the networks, comma-separated")
	seconds := flag.Float64("seconds", 2, "how long each measurement runs, after a warm-up")
	table := flag.String("table", "", "print the Markdown table of the JSON lines in `FILE` and stop")
	flag.Parse()
	log.SetFlags(0)
	runtime.GOMAXPROCS(2)
	var err error
	switch {
	case *table != "":
		err = printTable(*table)
	case *prepare:
		err = prepareFiles(*dir, strings.Split(*models, ","))
	default:
		err = benchAll(*dir, time.Duration(*seconds*float64(time.Second)))
	}
	if err != nil {
		log.Fatal("bench/onnx: ", err)
	}
}

// prepareFiles exports each network channels first and writes the MNIST
// test images as float32 in [0, 1].
func prepareFiles(dir string, names []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var manifest []entry
	for _, name := range names {
		spec, err := applications.Get(name)
		if err != nil {
			return err
		}
		m, err := spec.New(1)
		if err != nil {
			return err
		}
		file := name + ".onnx"
		if err := onnx.Export(m, filepath.Join(dir, file), onnx.NCHW(true)); err != nil {
			return err
		}
		shape := m.InputShape()
		if len(shape) == 3 {
			shape = []int{shape[2], shape[0], shape[1]}
		}
		manifest = append(manifest, entry{Model: name, File: file, Shape: shape})
	}
	b, err := json.MarshalIndent(manifest, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		return err
	}
	_, test, err := mnist.LoadData(mnist.WithLogger(os.Stderr))
	if err != nil {
		return err
	}
	x := test.X.Float32().Data()
	out := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return os.WriteFile(filepath.Join(dir, "x.f32"), out, 0o644)
}

// benchAll imports every file of the manifest and measures it at batch 1
// and batch 1000.
func benchAll(dir string, d time.Duration) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Errorf("%v (run with -prepare first)", err)
	}
	var manifest []entry
	if err := json.Unmarshal(b, &manifest); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "x.f32"))
	if err != nil {
		return err
	}
	x := make([]float32, len(raw)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	for _, e := range manifest {
		m, err := onnx.Load(filepath.Join(dir, e.File))
		if err != nil {
			return err
		}
		for _, batch := range []int{1, 1000} {
			r, err := measure(m, x, batch, d)
			if err != nil {
				return err
			}
			r.Model = e.Model
			line, _ := json.Marshal(r)
			fmt.Println(string(line))
		}
	}
	return nil
}

// measure runs PredictOnBatch on consecutive batches of the images (views,
// nothing copied) for at least d after a warm-up, and returns the images
// per second.
func measure(m *goras.Model, x []float32, batch int, d time.Duration) (result, error) {
	per := tensor.Numel(m.InputShape())
	n := len(x) / per / batch
	batches := make([]*tensor.Tensor, n)
	for i := range batches {
		t, err := tensor.FromSlice(x[i*batch*per:(i+1)*batch*per], append([]int{batch}, m.InputShape()...)...)
		if err != nil {
			return result{}, err
		}
		batches[i] = t
	}
	run := func(i int) error {
		_, err := m.PredictOnBatch(batches[i%n])
		return err
	}
	warm := time.Now()
	for i := 0; i < 20 || time.Since(warm) < d/4; i++ {
		if err := run(i); err != nil {
			return result{}, err
		}
	}
	start, calls := time.Now(), 0
	for ; calls < 10 || time.Since(start) < d; calls++ {
		if err := run(calls); err != nil {
			return result{}, err
		}
	}
	s := time.Since(start).Seconds()
	return result{Framework: "goras", Batch: batch, ImagesPS: float64(calls*batch) / s, Calls: calls, Seconds: s}, nil
}

// printTable reads the JSON lines of both frameworks (several rounds each)
// and prints, per model and batch size, each side's best round (the one
// least disturbed by other work on the machine) and the ratio of the
// bests, then the ratio of the medians; with lines of an older goras
// (run.sh's BEFORE, framework "goras-before"), a second table compares it
// with the current one.
func printTable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runs := map[string][]float64{} // "framework model batch" → images/s
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r result
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Framework == "" {
			continue
		}
		k := fmt.Sprintf("%s %d", r.Model, r.Batch)
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		runs[r.Framework+" "+k] = append(runs[r.Framework+" "+k], r.ImagesPS)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	printRatios(runs, keys, "goras", "onnxruntime", "goras/onnxruntime")
	if len(keys) > 0 && len(runs["goras-before "+keys[0]]) > 0 {
		fmt.Println()
		printRatios(runs, keys, "goras", "goras-before", "after/before")
	}
	return nil
}

// printRatios prints, per model and batch size, the best round of the
// frameworks a and b, the ratio of the bests and the ratio of the medians.
func printRatios(runs map[string][]float64, keys []string, a, b, ratio string) {
	fmt.Printf("| model | batch | %s (images/s) | %s (images/s) | %s | median ratio | rounds |\n", a, b, ratio)
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, k := range keys {
		g, o := runs[a+" "+k], runs[b+" "+k]
		if len(g) == 0 || len(o) == 0 {
			continue
		}
		var model string
		var batch int
		fmt.Sscanf(k, "%s %d", &model, &batch)
		fmt.Printf("| %s | %d | %s | %s | %.2f× | %.2f× | %d |\n", model, batch, rate(slices.Max(g)), rate(slices.Max(o)),
			slices.Max(g)/slices.Max(o), median(g)/median(o), min(len(g), len(o)))
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// rate writes images per second with a k suffix above 10,000.
func rate(v float64) string {
	if v >= 10000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}
