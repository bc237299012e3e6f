package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2DWithoutIndices: MaxPool2D without arg (inference) gives the
// bits it gives with arg, on every pooling case, with the vector loop on
// and off, and allocates nothing once warm.
func TestMaxPool2DWithoutIndices(t *testing.T) {
	defer func() { poolVecOff = false }()
	r := rand.New(rand.NewPCG(9, 9))
	for _, pc := range poolCases {
		n, c, g := pc.n, pc.c, pc.g
		oh, ow := g.Out()
		x := randSlice(r, n*g.H*g.W*c)
		x[r.IntN(len(x))] = float32(math.NaN())
		for _, off := range []bool{true, false} {
			poolVecOff = off
			want, arg := make([]float32, n*oh*ow*c), make([]int32, n*oh*ow*c)
			MaxPool2D(want, arg, x, n, c, g)
			got := make([]float32, len(want))
			for i := range got {
				got[i] = float32(math.Inf(1)) // every output must be written
			}
			MaxPool2D(got, nil, x, n, c, g)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v vector loop off %v: y[%d] = %v without indices, %v with", pc, off, i, got[i], want[i])
				}
			}
		}
	}
	pc := poolCases[0]
	oh, ow := pc.g.Out()
	x, y := make([]float32, pc.n*pc.g.H*pc.g.W*pc.c), make([]float32, pc.n*oh*ow*pc.c)
	MaxPool2D(y, nil, x, pc.n, pc.c, pc.g)
	if a := testing.AllocsPerRun(10, func() { MaxPool2D(y, nil, x, pc.n, pc.c, pc.g) }); a != 0 {
		t.Errorf("MaxPool2D without indices allocates %v times per call", a)
	}
}

// convRun is one Conv2D with its data, for running passes on it.
type convRun struct {
	cv             *Conv2D
	x, w, b, y, dy []float32
	dx, dw, db     []float32
	relu, backward bool
}

func newConvRun(r *rand.Rand, c convCase, backward bool) *convRun {
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	oh, ow := cv.OutShape()
	o := &convRun{cv: cv, relu: true, backward: backward,
		x: randSlice(r, c.n*c.h*c.w*c.c), w: randSlice(r, c.kh*c.kw*c.c*c.f), b: randSlice(r, c.f),
		y: make([]float32, c.n*oh*ow*c.f), dy: randSlice(r, c.n*oh*ow*c.f)}
	if backward {
		o.dx, o.dw, o.db = make([]float32, len(o.x)), make([]float32, len(o.w)), make([]float32, c.f)
	}
	return o
}

func (o *convRun) pass() {
	o.cv.Forward(o.y, o.x, o.w, o.b, o.relu)
	if o.backward {
		clear(o.dx)
		clear(o.dw)
		clear(o.db)
		o.cv.Backward(o.dx, o.dw, o.db, o.dy, o.x, o.w, o.y, o.relu)
	}
}

// TestConvScratchShared: convolutions of different geometries (both paths,
// stride 1 and 2, one channel and many) sharing one ConvScratch give the
// bits they give with their own, forward and backward; once each has run,
// passes allocate nothing; and the shared scratch holds less than the
// convolutions' own scratches together.
func TestConvScratchShared(t *testing.T) {
	// One worker: how many per-goroutine scratch sets a pass makes depends
	// on how many chunks run at once, which the comparison of sizes below
	// must not.
	defer SetWorkers(0)
	SetWorkers(1)
	cases := []convCase{convCases[4], convCases[5], convCases[8], convCases[10], convCases[13], convCases[7]}
	for _, backward := range []bool{false, true} {
		name := fmt.Sprintf("backward %v", backward)
		var own, shared []*convRun
		r1, r2 := rand.New(rand.NewPCG(4, 4)), rand.New(rand.NewPCG(4, 4))
		sc := NewConvScratch()
		var separate int64
		for _, c := range cases {
			o := newConvRun(r1, c, backward)
			o.pass()
			own = append(own, o)
			separate += o.cv.scratch.allocated
			s := newConvRun(r2, c, backward)
			s.cv.ShareScratch(sc)
			shared = append(shared, s)
		}
		for round := 0; round < 2; round++ { // the second round reuses what the first made
			for i, s := range shared {
				s.pass()
				o := own[i]
				for k, pair := range [][2][]float32{{o.y, s.y}, {o.dx, s.dx}, {o.dw, s.dw}, {o.db, s.db}} {
					for j := range pair[0] {
						if math.Float32bits(pair[0][j]) != math.Float32bits(pair[1][j]) {
							t.Fatalf("%s, %v round %d: output %d element %d is %v shared, %v alone", name, cases[i], round, k, j, pair[1][j], pair[0][j])
						}
					}
				}
			}
		}
		all := func() {
			for _, s := range shared {
				s.pass()
			}
		}
		if a := testing.AllocsPerRun(5, all); a != 0 {
			t.Errorf("%s: passes over convolutions sharing a scratch allocate %v times", name, a)
		}
		if sc.allocated >= separate {
			t.Errorf("%s: the shared scratch made %d values, the convolutions' own %d together", name, sc.allocated, separate)
		}
		t.Logf("%s: shared scratch %d values, separate %d", name, sc.allocated, separate)
	}
}
