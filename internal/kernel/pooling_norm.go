package kernel

import "fmt"

// Max pooling beside a batch normalization: reading its input through the
// normalization before it, and taking the backward sums of the
// normalization its input is the output of.
//
// It can read its input through the normalization before it, as a
// convolution can (conv_input.go): MaxPool2DWinsAffine pools
// relu(x·scale + shift) per channel (or x·scale + shift) while x is the
// normalization's input. In a training step of Conv2D →
// BatchNormalization → ReLU → MaxPooling2D, the normalization would write
// its output for the whole batch and the pooling read it back, a pass over
// memory each way (for the bounty CNN's second block, 12 MiB a step).
// Here each pair of input rows is mapped into a buffer that stays in L1
// (the loop of the normalization's own pass, ChannelAffine or
// ChannelAffineReLU) and pooled from there: the same values in the same
// scan, so the same outputs and winners, bit for bit. The backward pass
// reads only the winners, so it is unchanged.

// MaxPool2DWinsAffine is MaxPool2DWins of x mapped per channel c to
// x·scale[c] + shift[c], and to its ReLU with relu, for x (N,H,W,C) and
// scale, shift (C).
func MaxPool2DWinsAffine(y []float32, win []uint8, x, scale, shift []float32, relu bool, n, c int, g Window) {
	checkPoolWins("MaxPool2DWinsAffine", n, c, g, len(x), len(y), len(win))
	if len(scale) != c || len(shift) != c {
		panic(fmt.Sprintf("kernel: MaxPool2DWinsAffine: scale and shift have %d and %d values, want %d (the channels)", len(scale), len(shift), c))
	}
	runPooling(poolingJob{kind: poolMaxWinsAffine, g: g, c: c, dst: y, src: x, win: win, scale: scale, shift: shift, relu: relu}, n)
}

// maxPoolWinsAffineSample is maxPoolWinsSample of one sample's x mapped:
// each output row from its two input rows, mapped into a buffer first.
func (j *poolingJob) maxPoolWinsAffineSample(y []float32, win []uint8, x []float32) {
	c, w := j.c, j.g.W
	rs := w * c
	oh, ow := j.g.H/2, w/2
	buf := floatScratch.get(2 * rs)
	defer floatScratch.put(buf)
	for i := range oh {
		pair := x[2*i*rs : (2*i+2)*rs]
		channelMap(buf, pair, j.scale, j.shift, 2*w, c, j.relu)
		maxPoolWinsSample(y[i*ow*c:(i+1)*ow*c], win[i*ow*c:(i+1)*ow*c], buf, 2, w, c)
	}
}

// MaxPool2DWinsBackwardSetRuns is MaxPool2DWinsBackwardSet, which then takes
// r's sums from each sample of dx (BNRuns.Sample), for the batch
// normalization that x is the output of, whose gradient dx is.
func MaxPool2DWinsBackwardSetRuns(dx, dy []float32, win []uint8, n, c int, g Window, r *BNRuns) {
	checkPoolWins("MaxPool2DWinsBackwardSetRuns", n, c, g, len(dx), len(dy), len(win))
	r.check("MaxPool2DWinsBackwardSetRuns", n, g.H*g.W, c)
	runPooling(poolingJob{kind: poolMaxWinsSet, g: g, c: c, dst: dx, src: dy, win: win, runs: r}, n)
}

// MaxPool2DWinsBackwardRuns takes r's sums as MaxPool2DWinsBackwardSetRuns
// does, from each sample of dx made in a buffer, but writes dx only on the
// rows of runs that straddle two samples, the only rows the
// normalization's pass (GradSumsRuns) then reads: for a plan whose other
// reader of dx makes it from dy and win itself (BNGrad.Pool). The rest of
// dx is left as it was.
func MaxPool2DWinsBackwardRuns(dx, dy []float32, win []uint8, n, c int, g Window, r *BNRuns) {
	checkPoolWins("MaxPool2DWinsBackwardRuns", n, c, g, len(dx), len(dy), len(win))
	r.check("MaxPool2DWinsBackwardRuns", n, g.H*g.W, c)
	runPooling(poolingJob{kind: poolMaxWinsRuns, g: g, c: c, dst: dx, src: dy, win: win, runs: r}, n)
}

// maxPoolWinsRunsSample is MaxPool2DWinsBackwardRuns of one sample s.
func (j *poolingJob) maxPoolWinsRunsSample(dx, dy []float32, win []uint8, s int) {
	buf := floatScratch.get(len(dx))
	defer floatScratch.put(buf)
	maxPoolWinsBackSample(buf, dy, win, j.g.H, j.g.W, j.c, true)
	j.runs.Sample(s, buf)
	j.runs.copyStraddles(dx, buf, s)
}
