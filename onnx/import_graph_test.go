package onnx

import (
	"strconv"
	"testing"

	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// readersGraph is n Relu nodes reading x, then an Add reading r0 twice.
func readersGraph(n int) (*onnxpb.GraphProto, *onnxpb.NodeProto) {
	g := &onnxpb.GraphProto{}
	for k := range n {
		g.Node = append(g.Node, &onnxpb.NodeProto{OpType: proto.String("Relu"), Input: []string{"x"}, Output: []string{"r" + strconv.Itoa(k)}})
	}
	twice := &onnxpb.NodeProto{OpType: proto.String("Add"), Input: []string{"r0", "r0"}, Output: []string{"y"}}
	g.Node = append(g.Node, twice)
	return g, twice
}

// TestReaders: the readers of each value are listed in order, each node
// once, however many times it reads the value.
func TestReaders(t *testing.T) {
	const n = 1000
	g, twice := readersGraph(n)
	im := newImporter(g, 17)
	if got := len(im.readers["x"]); got != n {
		t.Errorf("x has %d readers, want %d", got, n)
	}
	for k, r := range im.readers["x"] {
		if r != g.Node[k] {
			t.Fatalf("reader %d of x is %v, want node %d", k, r, k)
		}
	}
	if rs := im.readers["r0"]; len(rs) != 1 || rs[0] != twice {
		t.Errorf("r0 has readers %v, want the Add reading it twice, once", rs)
	}
}

// BenchmarkReaders lists the readers of 200,000 nodes of one input (a 4 MB
// file): a search of the list for every reader made it cost n²/2
// comparisons, 5.7 s before anything was imported; comparing with the
// last reader only, 13 ms (go test -run XXX -bench BenchmarkReaders
// -benchtime 1x ./onnx/, a 2-vCPU Intel Xeon, 2026-12-05).
func BenchmarkReaders(b *testing.B) {
	g, _ := readersGraph(200_000)
	for b.Loop() {
		newImporter(g, 17)
	}
}
