// Command bench trains the course's networks on real MNIST and prints what
// they cost: seconds per epoch, test accuracy, batch-1000 inference
// throughput, single-image latency, allocations per training step and peak
// resident memory, as one JSON line per model. bench/pytorch/ holds the same
// workloads in PyTorch, and bench/compare.sh runs both side by side.
//
//	go run ./bench -model mlp -epochs 2
//	go run ./bench -model all -epochs 1
//	go run ./bench -model bounty -mode infer -batch 1000
//
// -mode infer runs only the inference at one batch size (1: the latency
// loop; more: the throughput loop), on the model with its initial weights
// and the test images alone, so that its peak RSS is that workload's own;
// compare.sh runs it for batch 1000 and 1 beside each training run.
//
// Models: mlp (Flatten → Dense(50, relu) → Dense(10, softmax), MSE, SGD 0.1,
// batch 100), lenet5 (LeNet-5, cross-entropy, Adam 1e-3, batch 128) and
// bounty (the two-block BatchNormalization CNN, cross-entropy, Adam, batch
// 128). A model whose layers goras does not have yet prints
// {"model": ..., "status": "not available yet"}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/tensor"
)

// workload is one benchmarked network: how to build and compile it, the
// per-sample input shape it takes and its batch size.
type workload struct {
	// build returns a compiled model, weights drawn from seed.
	build func(seed uint64) (*goras.Model, error)
	// input is the per-sample shape, (28, 28) or (28, 28, 1).
	input []int
	batch int
}

// order is every workload the bench knows, available or not.
var order = []string{"mlp", "lenet5", "bounty"}

// workloads holds the ones goras can build today; each model's file
// registers itself in init, so a model whose layers do not exist yet is
// simply absent and the bench still compiles.
var workloads = map[string]workload{}

// result is the machine-readable line; the field names are the same as the
// PyTorch scripts print, so that compare.sh can pair them.
type result struct {
	Framework      string    `json:"framework"`
	Model          string    `json:"model"`
	Status         string    `json:"status"`
	Mode           string    `json:"mode"` // "train"
	Epochs         int       `json:"epochs"`
	Batch          int       `json:"batch"`
	EpochSeconds   []float64 `json:"epoch_s"`
	EpochMedian    float64   `json:"epoch_s_median"`
	TestAccuracy   float64   `json:"test_accuracy"`
	InferImgPerSec float64   `json:"infer_img_s"`
	LatencyMicros  float64   `json:"latency_us"`
	AllocsPerStep  float64   `json:"allocs_per_step"`
	BytesPerStep   float64   `json:"bytes_per_step"`
	PeakRSSMB      float64   `json:"peak_rss_mb"`
	FitRSSMB       float64   `json:"fit_rss_mb"` // the peak when training ends, before inference
	Threads        int       `json:"threads"`
	// The epoch's products against the CPU's FMA peak (flops.go); goras
	// only.
	EpochFLOPs float64 `json:"epoch_flops,omitempty"`
	GFLOPS     float64 `json:"gflops,omitempty"`
	PeakGFLOPS float64 `json:"peak_gflops,omitempty"`
	PctPeak    float64 `json:"pct_peak,omitempty"`
}

func main() {
	model := flag.String("model", "mlp", "model to run: "+strings.Join(order, ", ")+" or all")
	mode := flag.String("mode", "train", "train: train, evaluate, then time inference at batch 1000 and 1; infer: only the inference at -batch, with the initial weights, so that the peak RSS is that inference's own")
	batch := flag.Int("batch", 1000, "inference batch size of -mode infer: 1 runs the latency loop, more the throughput loop over the test images")
	epochs := flag.Int("epochs", 2, "training epochs to time")
	seed := flag.Uint64("seed", 1, "seed for weights and shuffling")
	latencyRuns := flag.Int("latency-runs", 2000, "single-image predictions whose median is the latency")
	inferRounds := flag.Int("infer-rounds", 3, "passes over the 10,000 test images, in batches of 1000, for the throughput")
	var prof profiles
	flag.StringVar(&prof.cpu, "cpuprofile", "", "write a CPU profile of the training epochs to this file")
	flag.StringVar(&prof.mem, "memprofile", "", "write a heap profile when training ends (the moment of fit_rss_mb) to this file, and the runtime's memory figures to stderr")
	flag.Parse()

	names := []string{*model}
	if *model == "all" {
		names = order
	} else if !slices.Contains(order, *model) {
		log.Fatalf("bench: unknown model %q; want one of %s or all", *model, strings.Join(order, ", "))
	}
	switch *mode {
	case "train":
		flag.Visit(func(f *flag.Flag) {
			if f.Name == "batch" {
				log.Fatalf("bench: -batch %s applies to -mode infer only; -mode train uses each model's training batch and times inference at 1000 and 1", f.Value)
			}
		})
		if *epochs < 1 {
			log.Fatalf("bench: -epochs must be at least 1, got %d", *epochs)
		}
		trainAll(names, *epochs, *seed, *latencyRuns, *inferRounds, prof)
	case "infer":
		if len(names) != 1 {
			log.Fatalf("bench: -mode infer measures one model's peak RSS per process; give one -model of %s, not all", strings.Join(order, ", "))
		}
		if *batch < 1 || *batch > 10000 {
			log.Fatalf("bench: -batch must be 1 to 10000 (the test set's size), got %d", *batch)
		}
		inferOne(names[0], *batch, *seed, *latencyRuns, *inferRounds)
	default:
		log.Fatalf("bench: unknown -mode %q; want train or infer", *mode)
	}
}

// trainAll runs the train mode on each named model in turn.
func trainAll(names []string, epochs int, seed uint64, latencyRuns, inferRounds int, prof profiles) {
	train, test, err := mnist.LoadData()
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range names {
		w, ok := workloads[name]
		if !ok {
			// The other fields would read as measured zeros; leave them out.
			emit(map[string]string{"framework": "goras", "model": name, "status": "not available yet"})
			continue
		}
		r, err := run(name, w, train, test, epochs, seed, latencyRuns, inferRounds, prof)
		if err != nil {
			log.Fatalf("bench: %s: %v", name, err)
		}
		emit(r)
	}
}

// inferOne runs the infer mode on one model.
func inferOne(name string, batch int, seed uint64, latencyRuns, inferRounds int) {
	w, ok := workloads[name]
	if !ok {
		emit(map[string]string{"framework": "goras", "model": name, "mode": "infer", "status": "not available yet"})
		return
	}
	test, err := testImages()
	if err != nil {
		log.Fatalf("bench: %v", err)
	}
	r, err := runInfer(name, w, test, batch, seed, latencyRuns, inferRounds)
	if err != nil {
		log.Fatalf("bench: %s: %v", name, err)
	}
	emit(r)
}

// emit prints v as one JSON line.
func emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
}

// run trains one workload and measures it.
func run(name string, w workload, train, test mnist.Dataset, epochs int, seed uint64, latencyRuns, inferRounds int, prof profiles) (result, error) {
	r := result{Framework: "goras", Model: name, Status: "ok", Mode: "train", Epochs: epochs, Batch: w.batch, Threads: runtime.GOMAXPROCS(0)}
	xTrain, yTrain, err := data(train, w.input)
	if err != nil {
		return r, err
	}
	xTest, yTest, err := data(test, w.input)
	if err != nil {
		return r, err
	}
	m, err := w.build(seed)
	if err != nil {
		return r, err
	}

	hist, err := fitProfiled(m, xTrain, yTrain, w.batch, epochs, prof)
	if err != nil {
		return r, err
	}
	r.EpochSeconds = hist.Seconds
	r.FitRSSMB = peakRSSMB()
	r.EpochMedian = median(hist.Seconds)
	perSample, err := trainFLOPs(m)
	if err != nil {
		return r, err
	}
	pr := newPeakReport(perSample, xTrain.N, r.EpochMedian, r.Threads)
	pr.print(os.Stderr, name, r.Threads)
	r.EpochFLOPs, r.GFLOPS, r.PeakGFLOPS, r.PctPeak = pr.EpochFLOPs, pr.GFLOPS, pr.Peak, pr.Percent

	logs, err := m.Evaluate(xTest, yTest, goras.BatchSize(1000), goras.Verbose(0))
	if err != nil {
		return r, err
	}
	r.TestAccuracy = logs["accuracy"]

	// Allocations per step, counted after the timed epochs (the training
	// plan exists by then) on the same model, so no second copy adds to the
	// peak RSS.
	if r.AllocsPerStep, r.BytesPerStep, err = allocsPerStep(m, w.batch, xTrain, yTrain); err != nil {
		return r, err
	}
	if r.InferImgPerSec, err = throughput(m, xTest, inferRounds); err != nil {
		return r, err
	}
	if r.LatencyMicros, err = latency(m, xTest, latencyRuns); err != nil {
		return r, err
	}
	r.PeakRSSMB = peakRSSMB()
	return r, nil
}

// profiles names the files -cpuprofile and -memprofile write; "" for none.
type profiles struct{ cpu, mem string }

// fitProfiled runs the timed epochs, under the CPU profiler when prof.cpu
// names a file, so that the profile holds training only; with prof.mem it
// writes a heap profile when training ends.
func fitProfiled(m *goras.Model, x *mnist.Images, y *tensor.Tensor, batch, epochs int, prof profiles) (*goras.History, error) {
	if prof.cpu != "" {
		f, err := os.Create(prof.cpu)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	hist, err := m.Fit(context.Background(), x, y,
		goras.BatchSize(batch), goras.Epochs(epochs), goras.Verbose(0))
	if prof.cpu != "" {
		pprof.StopCPUProfile()
	}
	if err == nil && prof.mem != "" {
		err = writeHeapProfile(prof.mem)
	}
	return hist, err
}

// writeHeapProfile writes the live heap to path (after a collection, so
// that it holds what is in use, not garbage) and prints to stderr how the
// runtime's memory divides, to set against the peak RSS.
func writeHeapProfile(path string) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms) // before the collection: what the peak saw
	mb := func(b uint64) float64 { return float64(b) / 1e6 }
	fmt.Fprintf(os.Stderr, "bench: when training ends: heap in use %.1f MB (live after the last collection about %.1f MB, next collection at %.1f MB), heap idle %.1f MB of which %.1f MB returned to the OS, stacks %.1f MB, runtime total %.1f MB, peak RSS %.1f MB\n",
		mb(ms.HeapInuse), mb(ms.HeapAlloc), mb(ms.NextGC), mb(ms.HeapIdle), mb(ms.HeapReleased), mb(ms.StackSys), mb(ms.Sys), peakRSSMB())
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// throughput is Predict's images per second over the test set in batches
// of 1000, rounds times, after one untimed batch that builds the inference
// plan.
func throughput(m *goras.Model, xTest *mnist.Images, rounds int) (float64, error) {
	return throughputAt(m, xTest, 1000, rounds)
}

// throughputAt is throughput in batches of batch images.
func throughputAt(m *goras.Model, xTest *mnist.Images, batch, rounds int) (float64, error) {
	if _, err := m.Predict(xTest.Slice(0, min(batch, xTest.N)), goras.BatchSize(batch), goras.Verbose(0)); err != nil {
		return 0, err
	}
	start := time.Now()
	for range rounds {
		if _, err := m.Predict(xTest, goras.BatchSize(batch), goras.Verbose(0)); err != nil {
			return 0, err
		}
	}
	return float64(rounds*xTest.N) / time.Since(start).Seconds(), nil
}

// latency is the median, in microseconds, of runs one-image Predict calls,
// each timed alone, cycling through the first 100 test images.
func latency(m *goras.Model, xTest *mnist.Images, runs int) (float64, error) {
	times := make([]float64, runs)
	one := make([]*mnist.Images, 100)
	for i := range one {
		one[i] = xTest.Slice(i, i+1)
	}
	for i := range 50 { // warm-up: plan for batch 1, caches
		if _, err := m.Predict(one[i%len(one)], goras.BatchSize(1), goras.Verbose(0)); err != nil {
			return 0, err
		}
	}
	for i := range times {
		t0 := time.Now()
		_, err := m.Predict(one[i%len(one)], goras.BatchSize(1), goras.Verbose(0))
		times[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
		if err != nil {
			return 0, err
		}
	}
	return median(times), nil
}

// allocsPerStep trains m for a few more steps and returns the heap
// allocations and bytes per TrainOnBatch call, counted with runtime.MemStats
// as testing.AllocsPerRun does.
func allocsPerStep(m *goras.Model, batch int, x *mnist.Images, y *tensor.Tensor) (allocs, bytes float64, err error) {
	xb, err := x.Slice(0, batch).Float32().Reshape(x.Slice(0, batch).Shape()...)
	if err != nil {
		return 0, 0, err
	}
	yb := y.Slice(0, batch)
	for range 2 {
		if _, err := m.TrainOnBatch(xb, yb); err != nil {
			return 0, 0, err
		}
	}
	const steps = 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range steps {
		if _, err := m.TrainOnBatch(xb, yb); err != nil {
			return 0, 0, err
		}
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / steps, float64(after.TotalAlloc-before.TotalAlloc) / steps, nil
}

// data returns a data set as the model reads it: the uint8 images, scaled
// to [0, 1] as each batch is gathered (goras.Data), shaped (N, 28, 28) or
// with the channel axis (N, 28, 28, 1); and one-hot targets (N, 10).
func data(d mnist.Dataset, input []int) (x *mnist.Images, y *tensor.Tensor, err error) {
	x = d.X
	if len(input) == 3 {
		x = x.WithChannelAxis()
	}
	y, err = mnist.ToCategorical(d.Y, 10)
	return x, y, err
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// peakRSSMB reads the process's peak resident set (VmHWM) from
// /proc/self/status, in MB (10^6 bytes, as the PyTorch side reports); 0
// where /proc is missing.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) > 0 {
				kb, err := strconv.ParseFloat(f[0], 64)
				if err == nil {
					return kb * 1024 / 1e6
				}
			}
		}
	}
	return 0
}
