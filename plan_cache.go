package goras

import (
	"slices"
	"sync"
	"time"

	"github.com/goras-ml/goras/autograd"
)

// PlanCache bounds the plans a model keeps between calls (SetPlanCache).
// A plan is the model compiled for one batch size with every buffer its
// ops need; the weights are shared by all of them. Inference plans
// (Predict, Evaluate) of large batches are the big ones: the bounty CNN's
// at batch 1000 holds about 200 MB.
type PlanCache struct {
	// MaxBytes bounds the buffers (autograd's Plan.Bytes) of the inference
	// plans kept: before a new one is built, the least recently used go
	// until it fits, but the last one used stays, so that one batch size
	// larger than the bound still runs at full speed. Default (0) 256 MiB;
	// negative, no bound.
	MaxBytes int64
	// MaxPlans bounds the number of inference plans kept (several per batch
	// size when Predict runs from several goroutines). Default (0) 16;
	// negative, no bound.
	MaxPlans int
	// Idle drops any plan, training plans too, left unused for this long
	// (to twice as long). Default (0) 5 minutes; negative, never.
	Idle time.Duration
}

// Defaults of PlanCache.
const (
	defaultPlanBytes = 256 << 20
	defaultPlans     = 16
	defaultPlanIdle  = 5 * time.Minute
	// gcPlanBytes: dropping plans that held this much runs the collector
	// before the next plan is built, so that the new one reuses their
	// memory instead of growing the process by its size.
	gcPlanBytes = 32 << 20
)

// SetPlanCache sets the bounds of the model's plan cache (see PlanCache;
// zero fields take the defaults) and applies them at once. It may be called
// at any time, also while other goroutines predict.
func (m *Model) SetPlanCache(pc PlanCache) {
	c := &m.plans
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limits, c.resolved = pc, false
	c.trim(0, 0)
}

// planCache keeps the plans of a model. Training and evaluation plans are
// used by one caller at a time (Fit and Evaluate are not concurrent); a
// prediction plan is taken by one call and given back, so that concurrent
// Predict calls each run their own. Dropping a plan from the cache never
// disturbs a caller using it: the caller keeps its pointer.
type planCache struct {
	mu      sync.Mutex
	plans   map[planKey]*batchPlan
	predict map[int][]*batchPlan // free prediction plans by batch size
	limits  PlanCache
	// The limits with the defaults filled in (negative: none), worked out
	// once rather than on every call.
	maxBytes int64
	maxPlans int
	idle     time.Duration
	resolved bool
	held     int64   // Bytes of the inference plans kept (evaluation, free prediction)
	count    int     // their number
	perByte  float64 // the most bytes per sample of an inference plan seen, to make room before a build
	clock    uint64  // counts uses (least recently used first)
	period   uint64  // counts idle periods
	timer    *time.Timer
	armed    bool
	gen      int // counts resets: a plan taken before one is not given back
}

// shareTrainingPlans is true but in the test that compares training with
// and without sharing.
var shareTrainingPlans = true

// trainingDonor is the training plan a new one takes its buffers from
// (autograd's ShareBuffers), the largest there is, or nil. An epoch whose
// last batch is smaller builds a second training plan, kept like the first
// for the next epoch; sharing, the two hold one set of activations and
// gradients, not two: for the bounty CNN 212 MB less than the 284 + 212 MB
// of two (issue 19). Called with c.mu held, by plan.
func (c *planCache) trainingDonor() *autograd.Plan {
	var best *autograd.Plan
	for k, bp := range c.plans {
		if k.train && (best == nil || bp.plan.Batch() > best.Batch()) {
			best = bp.plan
		}
	}
	return best
}

func (c *planCache) reset() {
	c.mu.Lock()
	c.plans, c.predict = nil, nil
	c.held, c.count = 0, 0
	c.gen++
	c.mu.Unlock()
}

// resolve fills in maxBytes, maxPlans and idle from the limits.
func (c *planCache) resolve() {
	l := c.limits
	c.maxBytes, c.maxPlans, c.idle = l.MaxBytes, l.MaxPlans, l.Idle
	if c.maxBytes == 0 {
		c.maxBytes = defaultPlanBytes
	}
	if c.maxPlans == 0 {
		c.maxPlans = defaultPlans
	}
	if c.idle == 0 {
		c.idle = defaultPlanIdle
	}
	c.resolved = true
}

// touch marks bp used now and makes sure the idle sweep will run.
func (c *planCache) touch(bp *batchPlan) {
	c.clock++
	bp.used, bp.period = c.clock, c.period
	if c.armed {
		return
	}
	if !c.resolved {
		c.resolve()
	}
	if c.idle > 0 {
		if c.timer == nil {
			c.timer = time.AfterFunc(c.idle, c.sweep)
		} else {
			c.timer.Reset(c.idle)
		}
		c.armed = true
	}
}

// sweep drops the plans not used during the idle period that just ended
// nor the one before, and runs again while plans are left.
func (c *planCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = false
	if !c.resolved {
		c.resolve()
	}
	if c.idle < 0 {
		return
	}
	c.period++
	var stale []*batchPlan
	left := 0
	for _, bp := range c.plans {
		if bp.period+1 < c.period {
			stale = append(stale, bp)
		}
		left++
	}
	for _, free := range c.predict {
		for _, bp := range free {
			if bp.period+1 < c.period {
				stale = append(stale, bp)
			}
			left++
		}
	}
	for _, bp := range stale {
		c.drop(bp)
	}
	left -= len(stale)
	if left > 0 {
		c.timer.Reset(c.idle)
		c.armed = true
	}
}

// keep counts new inference plans, those one call used, in the cache and
// applies the bounds, dropping others but never these.
func (c *planCache) keep(bps ...*batchPlan) {
	for _, bp := range bps {
		c.held += bp.plan.Bytes()
		c.count++
		if !bp.seen {
			bp.seen = true
			c.perByte = max(c.perByte, float64(bp.plan.Bytes())/float64(bp.plan.Batch()))
		}
	}
	if c.over(0, 0) {
		c.trim(0, 0, bps...)
	}
}

// over reports whether the inference plans kept, with extra more bytes and
// plans, break the bounds.
func (c *planCache) over(extraBytes int64, extraPlans int) bool {
	if !c.resolved {
		c.resolve()
	}
	return (c.maxBytes >= 0 && c.held+extraBytes > c.maxBytes) || (c.maxPlans >= 0 && c.count+extraPlans > c.maxPlans)
}

// makeRoom drops inference plans, least recently used first, until one
// for batch samples (its size guessed from the plans seen) fits the bounds,
// and reports whether the collector should run before the build.
func (c *planCache) makeRoom(batch int) bool {
	return c.trim(int64(c.perByte*float64(batch)), 1) >= gcPlanBytes
}

// trim drops inference plans other than keep, least recently used first,
// until they and extra more bytes and plans fit the bounds, and returns
// the bytes dropped.
func (c *planCache) trim(extraBytes int64, extraPlans int, keep ...*batchPlan) int64 {
	var dropped int64
	for c.over(extraBytes, extraPlans) {
		var lru *batchPlan
		consider := func(bp *batchPlan) {
			if !slices.Contains(keep, bp) && (lru == nil || bp.used < lru.used) {
				lru = bp
			}
		}
		for k, bp := range c.plans {
			if !k.train {
				consider(bp)
			}
		}
		for _, free := range c.predict {
			for _, bp := range free {
				consider(bp)
			}
		}
		if lru == nil {
			break
		}
		dropped += lru.plan.Bytes()
		c.drop(lru)
	}
	return dropped
}

// drop removes bp from the cache.
func (c *planCache) drop(bp *batchPlan) {
	if c.plans[bp.key] == bp {
		delete(c.plans, bp.key)
		if bp.key.train {
			return
		}
	} else {
		free := c.predict[bp.plan.Batch()]
		i := slices.Index(free, bp)
		if i < 0 {
			return
		}
		c.predict[bp.plan.Batch()] = slices.Delete(free, i, i+1)
	}
	c.held -= bp.plan.Bytes()
	c.count--
}
