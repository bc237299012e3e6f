package autograd

import (
	"fmt"
	"testing"
)

// TestNormSumsSameBits holds a batch normalization whose sums the op
// reading its output takes (a convolution or a max pooling, reading the
// output itself or through ReaderAppliesNorm) against the same plan with
// the pairing off, bit for bit, over training steps and an evaluation,
// with and without the normalization's ReLU; and checks that the pairing
// happened, and that with the pooling the convolution before the
// normalization makes its gradient from the pooling's.
func TestNormSumsSameBits(t *testing.T) {
	defer func() { normSumsOff = false }()
	for _, relu := range []bool{false, true} {
		for _, pool := range []bool{false, true} {
			for _, fold := range []bool{false, true} {
				name := fmt.Sprintf("relu %v pool %v fold %v", relu, pool, fold)
				pp, _, paired := normInNet(9, relu, pool, fold)
				pa, _, apart := normInNet(9, relu, pool, fold)
				var bn *batchNorm
				var cv *conv2D // the convolution before bn
				for _, op := range pp.ops {
					if b, ok := op.(*batchNorm); ok {
						bn = b
					}
					if c, ok := op.(*conv2D); ok && cv == nil {
						cv = c
					}
				}
				for step, training := range []bool{true, true, false, true} {
					normSumsOff = false
					pp.Forward(training)
					pp.Backward()
					normSumsOff = true
					pa.Forward(training)
					pa.Backward()
					if !bn.runsOn {
						t.Fatalf("%s: the reader does not take the normalization's sums", name)
					}
					if (cv.pool != nil) != pool {
						t.Fatalf("%s: the convolution makes its gradient from the pooling's: %v", name, cv.pool != nil)
					}
					requireSameTensors(t, fmt.Sprintf("%s step %d (training %v)", name, step, training), paired, apart)
				}
			}
		}
	}
}

// TestNormSumsNotWithTwoWriters: a normalization's output read by two
// convolutions has its gradient written by both; neither takes the sums.
func TestNormSumsNotWithTwoWriters(t *testing.T) {
	p, _, _ := normInNet(9, true, false, false)
	var bn *batchNorm
	for _, op := range p.ops {
		if b, ok := op.(*batchNorm); ok {
			bn = b
		}
	}
	reader := p.ops[len(p.ops)-2].(*conv2D)
	p.Conv2D(bn.y, reader.w, 1, 1, 1, 1, 1, 1)
	p.Forward(true)
	p.Backward()
	for _, op := range p.ops {
		if b, ok := op.(*batchNorm); ok && b.runsOn {
			t.Fatal("a normalization whose gradient two convolutions write takes its sums from one")
		}
	}
}
