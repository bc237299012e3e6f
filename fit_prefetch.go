package goras

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/goras-ml/goras/tensor"
)

// Fit gathers batch s+1 (Data.Gather: for MNIST, uint8 pixels scaled to
// float32, rows picked in the shuffled order) on a goroutine of its own
// while step s runs forward, backward and the optimizer on the caller's.
// For the course MLP a step is ~90 µs of products on one core and the
// gather ~15 µs more, while the second core idles: gathering beside the
// step takes it off the critical path.
//
// Where the batch goes. The step reads its plan's input buffers until the
// end of Backward, so the next batch cannot go there. It cannot go into a
// second buffer swapped in later either: ops hold the input Var's views
// (Flatten is a Reshape that shares the data under a tensor of its own),
// not the plan's Var, so a swap would not reach them; and gathering into a
// spare buffer to copy it in at the next step costs a copy of the batch
// (~4 µs of the MLP's 15). So the full batch has a twin plan: the same
// graph over the same weights, built with the first plan's op outputs and
// gradients (autograd's ShareBuffers), with its own inputs, targets and
// sample weights, and the steps alternate between the two. The epoch's
// last, smaller batch has its own plan already, which is free while the
// step before it runs. Every op of a plan overwrites its outputs and zeroes
// its gradients each step, and random draws come from the layers' shared
// generators in the same order, so alternating plans trains to the same
// bits (fit_prefetch_test.go holds it so).
//
// What stays as it was: the first three batches of every epoch are gathered
// by the step itself, after OnEpochBegin; nothing is gathered across an
// epoch's end (validation, the next shuffle), nor after a callback set
// StopTraining in OnTrainBatchBegin. Batch s+1 is sent to the goroutine
// only after OnTrainBatchBegin(s) returns, and with callbacks the
// goroutine has finished before OnTrainBatchEnd(s) runs, so no Gather
// ever runs beside a callback or beside another Gather: a Data need not be
// safe for concurrent use. A callback that changes the training data in
// OnTrainBatchEnd or OnTrainBatchBegin is seen one batch later than
// without prefetching; changes made in OnEpochBegin are seen at once.
//
// What it buys (issue 16, 2 shared cores): the course MLP's epoch, epochs
// of prefetching and not alternated in one process, 9-11 % faster on a
// quiet machine (median 0.058 s against 0.064 s); with other processes on
// the cores it is as fast or up to ~8 % slower (the goroutine polls on a
// processor the step then shares), which the stops below keep from
// reaching the 1.5-3× of unguarded prefetching.

// prefetchFit turns prefetching on; tests turn it off to compare.
var prefetchFit = true

// Prefetching pays when the gather it hides costs more than handing it
// over (two channel messages, ~1 µs) and than building the twin plan
// (once per Fit call): from 16 KiB of inputs per batch (a few µs to
// gather) and 4 steps per epoch. On one processor the goroutine would only
// take turns with the step. Nor without polling (prefetchSpin).
const (
	prefetchMinBytes = 16 << 10
	prefetchMinSteps = 4
)

// prefetchSpin is how long the goroutine polls for the next batch, and a
// step for a batch the goroutine has started, before they sleep: waking a
// sleeping goroutine takes 40–140 µs on a virtual machine (see
// internal/kernel's workers), more than the MLP's whole step, and a
// goroutine that sleeps between batches made its epoch slower than not
// prefetching. GORAS_WAIT_POLICY=passive, for processes that share their
// cores with other work, turns polling off, as for the kernel's workers,
// and with it prefetching: without polling it made the MLP's epoch 4–30 %
// slower than gathering in the step.
var prefetchSpin = func() time.Duration {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("GORAS_WAIT_POLICY")), "passive") {
		return 0
	}
	return 2 * time.Millisecond
}()

// When other processes hold the cores, the goroutine's thread is off its
// core when its batch is sent, so the step gathers the batch itself
// (settle), and the polling thread only takes time from the step's: on 2
// cores at load 4-8 the goroutine took 5 % of the MLP's batches in time
// and the epoch ran 1.5-3× slower than without prefetching. On a quiet
// machine it misses about one batch an epoch (of 600). So a step counts
// the batches it gathered itself, and when more than prefetchLate of a
// window of prefetchWindow are, prefetching stops until the next epoch
// and the goroutine stops polling. A window of 32 still cost 10 % of the
// epoch at load 4 (32 slowed steps and the goroutine's last 2 ms of
// polling).
const prefetchWindow = 8

// prefetchShare: an epoch prefetches when its first two batches took at
// least 1/prefetchShare of its first two steps to gather (the faster of
// each). The MLP's gather is ~15 %
// of its step; LeNet-5's ~1 %, too little to win and enough to lose: the
// polling goroutine holds the second processor, from which the kernel's
// workers are then slow to take their share of the convolutions (LeNet-5's
// epoch 5-45 % slower at load 5). 0 (for tests) prefetches whatever the
// times.
var prefetchShare = 16

// prefetchLate is a variable for tests that count prefetched batches on a
// loaded machine: prefetchWindow turns the stop off.
var prefetchLate = 2

// prefetcher is a Fit call's gathering goroutine and what it filled.
type prefetcher struct {
	wake chan struct{} // a job is queued; nil until the goroutine starts
	done chan struct{} // a job the goroutine took is done

	// state is where the job is (jobIdle, jobQueued, jobTaken, jobDone).
	// Whoever moves it from jobQueued to jobTaken runs the job: the
	// goroutine, or the step that needs the batch and finds the job not
	// started (see settle); job and jerr pass between them through it.
	state atomic.Int32
	job   prefetchJob
	jerr  error

	main, twin *batchPlan // the full batch's plan and its twin

	// The faster of the epoch's first two gathers and steps, for
	// trainStep's choice: one alone may be slowed by a first use (the
	// first epoch's step 0 allocates and touches its buffers) or a
	// preemption, which turned prefetching off for whole epochs.
	gathered, stepped time.Duration
	settled, late     int         // batches of the window so far, and those the step gathered
	off               bool        // too many late: no prefetching until the next epoch
	quiet             atomic.Bool // off, for the goroutine: sleep rather than poll
	// running is set when the goroutine first runs. Until then the batches
	// the step gathers itself say how long a new goroutine takes to get a
	// core (1–2 ms on the 2-vCPU VM: the course MLP's first 8 batches),
	// not that the machine is loaded, so the window does not count them:
	// counting them stopped prefetching for the whole first epoch, which
	// ran 1.7× slower than the next.
	running atomic.Bool

	filled bool       // to holds batch step, or err says why it does not
	to     *batchPlan // the plan the last job filled
	step   int
	err    error
}

const (
	jobIdle int32 = iota
	jobQueued
	jobTaken
	jobDone
)

// prefetchJob is one batch to gather into bp.
type prefetchJob struct {
	r    *fitRun
	bp   *batchPlan
	rows []int
	step int
}

// pays says whether prefetching is worth it for this call.
func (r *fitRun) pays() bool {
	if !prefetchFit || prefetchSpin == 0 || r.steps < prefetchMinSteps || runtime.GOMAXPROCS(0) < 2 {
		return false
	}
	bytes := 0
	for _, x := range r.train.xs {
		bytes += 4 * r.s.batchSize * tensor.Numel(x.Shape()[1:])
	}
	return bytes >= prefetchMinBytes
}

// batch returns the plan holding batch step (rows of the order): the one
// the goroutine filled, or else the plan for its size, filled now.
func (r *fitRun) batch(step int, rows []int) (*batchPlan, error) {
	bp, err := r.m.plan(len(rows), true, &r.train)
	if err != nil {
		return nil, err
	}
	p := &r.pf
	if len(rows) == r.s.batchSize && bp != p.main {
		p.main, p.twin = bp, nil // new, or rebuilt (Compile): the twin went with the old one
	}
	p.settle()
	if p.filled && p.step == step {
		p.filled = false
		if p.err != nil {
			return nil, p.err
		}
		if p.to == bp || (bp == p.main && p.to == p.twin && p.twin != nil) {
			return p.to, nil
		}
	}
	p.filled = false
	if step > 1 || !r.prefetching {
		return bp, r.fill(bp, rows, step)
	}
	start := time.Now()
	err = r.fill(bp, rows, step)
	if d := time.Since(start); step == 0 || d < p.gathered {
		p.gathered = d
	}
	return bp, err
}

// trainStep runs the step on bp. At an epoch's second step it also decides
// whether prefetching pays this epoch: whether the step is short enough
// beside the gather (prefetchShare).
func (r *fitRun) trainStep(step int, bp *batchPlan) float64 {
	if step > 1 || !r.prefetching {
		return r.m.step(bp)
	}
	start := time.Now()
	loss := r.m.step(bp)
	p := &r.pf
	if d := time.Since(start); step == 0 || d < p.stepped {
		p.stepped = d
	}
	if step == 1 {
		p.off = prefetchShare > 0 && p.gathered*time.Duration(prefetchShare) < p.stepped
		p.quiet.Store(p.off)
	}
	return loss
}

// prefetch sends batch next to the goroutine, into a plan other than cur,
// which the step about to run uses.
func (r *fitRun) prefetch(next int, cur *batchPlan) error {
	// Batches 1 and 2 wait for trainStep to time steps 0 and 1.
	if !r.prefetching || r.pf.off || next < 3 || next >= r.steps || r.m.StopTraining {
		return nil
	}
	lo, hi := next*r.s.batchSize, min((next+1)*r.s.batchSize, r.n)
	p := &r.pf
	var to *batchPlan
	var err error
	switch {
	case hi-lo < r.s.batchSize:
		to, err = r.m.plan(hi-lo, true, &r.train) // the last batch's own plan
	case cur == p.main && p.twin == nil:
		p.twin, err = r.m.twinPlan(p.main, &r.train)
		to = p.twin
	case cur == p.main:
		to = p.twin
	case cur == p.twin:
		to = p.main
	default:
		return nil // cur is the smaller last batch's: no next
	}
	if err != nil || to == cur {
		return err
	}
	if p.wake == nil {
		p.wake, p.done = make(chan struct{}, 1), make(chan struct{}, 1)
		go p.loop(p.wake, p.done)
	}
	p.job = prefetchJob{r: r, bp: to, rows: r.order[lo:hi], step: next}
	p.state.Store(jobQueued)
	select {
	case p.wake <- struct{}{}:
	default: // a wake-up is pending already: it will find this job
	}
	p.filled, p.to, p.step = false, to, next
	return nil
}

// twinPlan builds a second training plan for main's batch size, which
// takes its op outputs and gradients from the largest training plan (main,
// or one that main shares too): only its inputs, targets, sample weights
// and op scratch are its own. It is not in the cache: the Fit call keeps
// it.
func (m *Model) twinPlan(main *batchPlan, d *dataSet) (*batchPlan, error) {
	c := &m.plans
	c.mu.Lock()
	defer c.mu.Unlock() // newPlan reads the cache's training plans
	t, err := m.newPlan(main.plan.Batch(), true, d.targets, d.weights != nil)
	if err != nil {
		return nil, err
	}
	t.key, t.gen = main.key, main.gen
	return t, nil
}

// settle ends the job in flight, if any, and keeps its answer. A job the
// goroutine has not taken yet the step runs itself: on a loaded machine
// the goroutine's thread may be off its core for a whole time slice
// (milliseconds), and waiting for it made the MLP's epoch 2× slower than
// not prefetching (2 cores at load 8).
func (p *prefetcher) settle() {
	counted := p.running.Load()
	switch p.state.Load() {
	case jobIdle:
		return
	case jobQueued:
		if p.state.CompareAndSwap(jobQueued, jobTaken) {
			j := p.job
			p.jerr = j.r.fill(j.bp, j.rows, j.step)
			p.state.Store(jobDone)
			if counted {
				p.late++
			}
		}
	}
	// Until the goroutine has first run, the batches the step gathers are
	// its start-up, not load (see running): the windows count from then.
	if counted {
		if p.settled++; p.settled == prefetchWindow {
			p.off = p.late > prefetchLate
			p.quiet.Store(p.off)
			p.settled, p.late = 0, 0
		}
	}
	p.waitDone()
	p.err, p.filled = p.jerr, true
	p.state.Store(jobIdle)
}

// waitDone returns when the job is done, polling for prefetchSpin before
// it sleeps. A signal on done may be an old one (the step saw a job done
// before the goroutine sent it): the state decides.
func (p *prefetcher) waitDone() {
	start := time.Now()
	for i := 0; p.state.Load() != jobDone; i++ {
		if prefetchSpin == 0 || (i&63 == 63 && time.Since(start) > prefetchSpin) {
			for p.state.Load() != jobDone {
				<-p.done
			}
			return
		}
		runtime.Gosched()
	}
}

// drain ends the job in flight, dropping one not started, and forgets
// what it filled: at an epoch's end, before validation and the next
// shuffle.
func (p *prefetcher) drain() {
	if !p.state.CompareAndSwap(jobQueued, jobIdle) {
		p.settle()
	}
	p.filled, p.off, p.settled, p.late = false, false, 0, 0
	p.quiet.Store(false)
}

// stop drains and ends the goroutine: at the end of Fit.
func (p *prefetcher) stop() {
	p.drain()
	if p.wake != nil {
		close(p.wake)
	}
}

// loop runs the jobs it is woken for until wake is closed. A wake-up may
// find its job taken by the step already.
func (p *prefetcher) loop(wake <-chan struct{}, done chan<- struct{}) {
	p.running.Store(true)
	for {
		if _, ok := receiveSpin(wake, &p.quiet); !ok {
			return
		}
		if !p.state.CompareAndSwap(jobQueued, jobTaken) {
			continue
		}
		j := p.job
		p.jerr = j.r.fill(j.bp, j.rows, j.step)
		p.state.Store(jobDone)
		select {
		case done <- struct{}{}:
		default: // one is pending: the step's receive returns anyway
		}
	}
}

// receiveSpin receives from c, polling for prefetchSpin, or until quiet is
// set, before it sleeps. Each poll yields the processor, so it never keeps
// runnable goroutines (the kernel's workers) waiting.
func receiveSpin[T any](c <-chan T, quiet *atomic.Bool) (T, bool) {
	if prefetchSpin > 0 {
		start := time.Now()
		for i := 0; ; i++ {
			select {
			case v, ok := <-c:
				return v, ok
			default:
			}
			if i&63 == 63 && (quiet.Load() || time.Since(start) > prefetchSpin) {
				break
			}
			runtime.Gosched()
		}
	}
	v, ok := <-c
	return v, ok
}

// fill gathers batch step (rows) of the training data into bp; a panic of
// a Data's Gather comes back as an error that names the array, as Fit
// runs it on its own goroutine or on the caller's.
func (r *fitRun) fill(bp *batchPlan, rows []int, step int) (err error) {
	at := 0 // the array being gathered: inputs, then targets
	defer func() {
		if v := recover(); v != nil {
			err = r.gatherError(at, step, v, debug.Stack())
		}
	}()
	bp.gatherAt(&r.train, rows, &at)
	// The work the step would do from the inputs alone (the sparse first
	// layer's transpose): on the goroutine, off the step's path.
	at = preparing
	bp.plan.Prepare()
	return nil
}

// preparing is fill's array index while Plan.Prepare runs, for
// gatherError.
const preparing = -1

func (r *fitRun) gatherError(at, step int, v any, stack []byte) error {
	if at == preparing {
		return fmt.Errorf("goras: fit: preparing batch %d of the epoch panicked (a bug of goras: please report it): %v\n%s", step, v, stack)
	}
	var name arrayName
	if at < len(r.train.xs) {
		name = r.m.inputName(at)
	} else {
		name = r.m.outputName(at - len(r.train.xs))
	}
	return fmt.Errorf("goras: fit: the Gather method of %s panicked on batch %d of the epoch: %v; the Data must write len(rows) samples into dst\n%s", name, step, v, stack)
}
