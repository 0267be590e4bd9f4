package script

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// sampleEvery is how often a watch reads the heap while a call runs. A call
// that ends sooner is never sampled, which keeps short calls cheap; a runaway
// gets a few milliseconds of allocation past the limit before it is seen.
const sampleEvery = 2 * time.Millisecond

// watch stops one call when it runs out of time or memory: from outside, by
// two timers, one for the deadline and one that samples the heap, and from
// inside, by the guards in front of goja's built-ins (see guards). All of
// them stop the call through halt. Timers rather than a goroutine: a call
// that ends within sampleEvery, as most do, starts no goroutine at all.
type watch struct {
	// interrupt stops the running script: goja's Runtime.Interrupt, or the
	// cancel of the context gojq runs with.
	interrupt func(*Error)
	reason    atomic.Pointer[Error]

	mu       sync.Mutex // guards the fields below and the sampling
	stopped  bool
	deadline *time.Timer
	sampler  *time.Timer
}

func newWatch(interrupt func(*Error)) *watch {
	return &watch{interrupt: interrupt}
}

// halt stops the call for err. The first reason wins, so the caller learns
// the limit that was hit first.
func (w *watch) halt(err *Error) {
	if w.reason.CompareAndSwap(nil, err) {
		w.interrupt(err)
	}
}

// start begins timing the call and sampling the heap against the limits of
// e. The heap is measured from here on, so what the caller allocated before
// (the copy of the input) does not count.
func (w *watch) start(e *Evaluator) {
	budget := newHeapBudget(e.limits.MaxMemory, &e.gc)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = time.AfterFunc(e.limits.Timeout, func() {
		w.halt(errorf(Timeout, "the script ran longer than %s and was stopped", e.limits.Timeout))
	})
	w.sampler = time.AfterFunc(sampleEvery, func() {
		w.sample(budget, e.limits.MaxMemory)
	})
}

// sample checks the heap once and sets the next check.
func (w *watch) sample(budget *heapBudget, max int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	if budget.exceeded() {
		w.halt(errorf(Memory, "the script grew the heap by more than %s and was stopped", formatBytes(max)))
		return
	}
	w.sampler.Reset(sampleEvery)
}

func (w *watch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.deadline.Stop()
	w.sampler.Stop()
}

// run calls f and returns what it returns, unless the watch halted the call,
// then the reason, or f panicked, then a Runtime error: a failure inside goja
// or gojq must not take the caller down.
func run[T any](w *watch, f func() (T, *Error)) (v T, err *Error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, errorf(Runtime, "the script engine failed: %v", p)
		}
		// A halted script may still return normally, or with whatever
		// error the interruption caused on its way out; the reason is what
		// the caller needs to know.
		if reason := w.reason.Load(); reason != nil {
			var zero T
			v, err = zero, reason
		}
	}()
	return f()
}

// heapBudget decides whether a call has grown the heap by more than max
// bytes. Go cannot say which goroutine allocated what, so it reads the
// process's heap, in two steps: a cheap reading of the bytes in heap objects
// (live or not yet collected) says whether the heap grew by more than max at
// all; only then does a collection say how much of that growth is live.
// Garbage, the script's or other goroutines', does not count against it.
//
// The collection runs apart from the sampling, since it can take long: it
// waits for every goroutine to reach a safe point, and a script copying a
// huge string is not at one. Meanwhile growth past hardFactor×max counts
// without waiting: a heap that grows that fast during one call is almost
// surely growing because of it.
type heapBudget struct {
	max uint64
	// objects is the heap at the start, lowered when collections free
	// what was there (see exceeded) and moved forward past garbage a
	// collection found (see judge).
	objects uint64
	// live is the live heap measured by the last collection before the
	// start.
	live uint64
	gc   *collector
	// pending delivers the live heap once a collection asked for has
	// finished; nil when none is under way.
	pending chan uint64
}

const hardFactor = 4

func newHeapBudget(max int64, gc *collector) *heapBudget {
	now := readHeap()
	return &heapBudget{max: uint64(max), objects: now.objects, live: now.live, gc: gc}
}

// exceeded reports whether the call is over its budget. Calls must not
// overlap.
func (b *heapBudget) exceeded() bool {
	now := readHeap()
	if now.objects < b.objects {
		// A collection freed garbage that was in the heap at the start,
		// which until then hid the script's growth. Count from the lower
		// level; what the script held when the heap was lowest is
		// forgiven.
		b.objects = now.objects
	}
	grown := now.objects - b.objects
	if grown > hardFactor*b.max {
		return true
	}
	if b.pending != nil {
		select {
		case live := <-b.pending:
			b.pending = nil
			return b.judge(live)
		default:
			return false
		}
	}
	if grown > b.max {
		pending := make(chan uint64, 1)
		go func() { pending <- b.gc.liveSince(now.cycles) }()
		b.pending = pending
	}
	return false
}

// judge decides on the live heap a collection measured.
func (b *heapBudget) judge(live uint64) bool {
	if live < b.live {
		// The baseline was measured before garbage that has since been
		// collected, so it overstates what was live at the start. Count
		// from here: that forgives what the script holds now, about max
		// at most, rather than charge it for memory that was never its.
		b.live = live
	}
	grown := live - b.live
	if grown > b.max {
		return true
	}
	// Mostly garbage. Count on from the heap as it is now, keeping the
	// growth that stayed live.
	b.objects = sub(readHeap().objects, grown)
	return false
}

// collector runs the collections heap budgets ask for: one at a time, and
// none when one has finished since the budget looked, so that budgets that
// grow suspicious together share one collection. A budget asks at most once
// per max bytes allocated in the process, so while scripts are running the
// process collects at least that often.
type collector struct {
	mu sync.Mutex
}

// liveSince returns the live heap as measured by a collection that finished
// after the heap showed the given number of finished collections, running
// one if there is none.
func (c *collector) liveSince(cycles uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := readHeap(); now.cycles > cycles {
		return now.live
	}
	runtime.GC()
	return readHeap().live
}

// heapReading is what runtime/metrics says about the heap.
type heapReading struct {
	objects uint64 // bytes in heap objects, live or not yet swept
	live    uint64 // bytes marked live by the last finished collection
	cycles  uint64 // finished collections
}

var heapMetrics = [...]string{
	"/memory/classes/heap/objects:bytes",
	"/gc/heap/live:bytes",
	"/gc/cycles/total:gc-cycles",
}

func readHeap() heapReading {
	var s [len(heapMetrics)]metrics.Sample
	for i, name := range heapMetrics {
		s[i].Name = name
	}
	metrics.Read(s[:])
	return heapReading{
		objects: s[0].Value.Uint64(),
		live:    s[1].Value.Uint64(),
		cycles:  s[2].Value.Uint64(),
	}
}

// sub is a-b, or 0 when b is larger: the heap shrinks when a collection
// frees what was there before the call began.
func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}
