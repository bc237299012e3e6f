package main

import (
	"runtime"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/tensor"
)

// liveHeap is the heap in use after two collections.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestBountyInferencePlanMemory measures the heap that the bounty CNN and
// its batch-1000 inference plan (the plan of bench's throughput
// measurement) take, and holds it against the least they could take:
//
//	weights + the plan's input batch + the two largest activations
//	(a layer's input and output are alive together) + scratch
//
// where the scratch is one padded sample of the widest convolution input
// per worker; the weights' gradients and Adam's slots, made by Compile,
// are the rest of the margin. The plan used to keep a buffer per op: this
// test measured 1007 MB, 4.85 times the least, at commit 9b0e3db.
func TestBountyInferencePlanMemory(t *testing.T) {
	const batch, factor = 1000, 1.1
	x := tensor.New(batch, 28, 28, 1)
	x.FillUniform(tensor.NewRNG(1), 0, 1)
	before := liveHeap()
	m, err := buildBounty(1)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Predict(x, goras.BatchSize(batch), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	used := liveHeap() - before - int64(4*out.Len())
	runtime.KeepAlive(m)

	const f4 = 4 // bytes per float32
	weights := int64(f4 * m.CountParams())
	input := int64(f4 * batch * 28 * 28)
	conv := int64(f4 * batch * 28 * 28 * 32) // the first block's activations, the largest
	scratch := int64(f4*30*30*32) * int64(runtime.GOMAXPROCS(0))
	least := weights + input + 2*conv + scratch
	ratio := float64(used) / float64(least)
	t.Logf("model and batch-%d inference plan: %.1f MB of heap; least: %.1f MB (weights %.1f, input %.1f, two activations %.1f, scratch %.1f); ratio %.3f",
		batch, float64(used)/1e6, float64(least)/1e6, float64(weights)/1e6, float64(input)/1e6, float64(2*conv)/1e6, float64(scratch)/1e6, ratio)
	if ratio > factor {
		t.Errorf("the bounty CNN with its batch-%d inference plan holds %.1f MB, %.2f times the least it needs (%.1f MB); the bound is %.2f", batch, float64(used)/1e6, ratio, float64(least)/1e6, factor)
	}
}
