package wasm

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// Scheduling constants.
const (
	// DefaultSlice is how long a guest runs while others wait before it
	// yields (HostConfig.Slice).
	DefaultSlice = 2 * time.Millisecond
	// ageAfterSlices is how many slices a call that has yielded waits, at
	// most, while calls that have not yielded go first: short calls go
	// first, and long ones still get the CPU.
	ageAfterSlices = 5
	// lendBan is how long a plugin whose call ran to the end of its slice
	// on the lent slot is not lent it again: the lent slot is for calls
	// that are short.
	lendBan = time.Minute
	// defaultIdlePoll is how often the scheduler checks the contexts of the
	// calls it runs (the engine stopping) when no deadline is nearer.
	defaultIdlePoll = 10 * time.Millisecond
)

// sched is a Host's scheduler of guest code. At most slots calls run guest
// code at once, host-wide: by default one fewer than GOMAXPROCS, so that a
// core always stays for the engine and the API whatever plugins do (a
// plugin spinning until its deadline, dozens of them, cannot take the
// server's CPUs). A call holds a slot while guest code runs, its instance's
// initialisation included; it gives it up around blocking host calls
// (http_fetch, kv_*, progress, WASI sleep and poll), and to yield.
//
// Fairness between plugins: each plugin is a group, charged the slot time
// its calls use (its vtime, as in a fair-share scheduler), and a freed slot
// goes to the waiting group charged least. A group that had nothing to run
// starts again at most ageWait behind the least charged group that has,
// or behind the floor, the least charge as it was when something last ran
// (it does not bank credit while idle). Its call runs at once on the lent
// slot (below), or, if that is taken, asks a running call of a group
// charged over a slice more to yield at once. So the call of a plugin that
// runs little waits at most about one check of the guest in the slot,
// however many calls another plugin keeps spinning; busy plugins share the
// slots equally.
//
// The lent slot: a call of a plugin charged over a slice less than every
// plugin with calls running or waiting (the call fairness would run next,
// at once) does not wait when no slot is free. It runs on the lent slot,
// beside the calls holding the slots, on the P and the core kept for the
// engine. A call that ends within its slice gives the lent slot back, which
// then rests as long as it was held. A call still running at the end of
// its slice is asked to yield and takes its turn like any call that has
// yielded, and its plugin is not lent the slot again for lendBan: Go's
// scheduler preempts guest code only every 10 ms or more, so while a long
// call holds the engine's P the engine may wait that long. There is one
// lent slot and only a call that can be asked to yield gets it. Asking the
// running call to yield instead, parking its goroutine and resuming it
// after the quiet call, delayed the network wake-ups of the engine and the
// API by a scheduler tick in 5-10 % of the quiet plugin's workflows
// (RATIONALE.md, "The lent slot").
//
// Within a group, the waiting calls are in two FIFO queues: those that have
// not yielded in this call (fresh) first, those that have (again) after
// them, except that again gets a slot when none of its calls has had one
// for ageAfterSlices slices. A call that runs a slice while others wait is
// asked to yield (the interrupt flag's FlagYield, see Instrument) and
// queues again; a fresh call asks a running call of its group that has
// yielded to yield at once. A plugin's short calls thus do not wait for its
// long ones, and its long ones still get the CPU.
//
// A call's deadline starts when it first gets a slot: queueing behind other
// plugins' calls before it starts is not charged to it (like waiting for a
// free instance of its pool), and once started the deadline is wall time,
// yields and blocking host calls included (RATIONALE.md, "Guest code runs
// in CPU slots").
//
// One goroutine, running while calls are under the scheduler, stops calls at
// their deadline or when their context ends and asks for the yields whose
// slice is over; a call costs two lock round trips and no timer or context.
type sched struct {
	slots    int
	slice    time.Duration
	ageWait  time.Duration
	idlePoll time.Duration // defaultIdlePoll; longer in tests
	// lending is whether there is a lent slot: if the slots leave a P.
	lending bool

	mu      sync.Mutex
	free    int
	lent    bool      // the lent slot is taken (see lend)
	lendAt  time.Time // the lent slot is not lent before (see release)
	waiting []*group  // groups with calls waiting for a slot
	active  []*exec   // begun and not ended
	// floor is the least charge among the groups with calls running or
	// waiting, as it last was: it only rises, and keeps its value while
	// nothing runs, so that a group waking then is measured against the
	// groups that ran before the pause (a plugin idle while another ran
	// for an hour must not get that hour's credit).
	floor   time.Duration
	ticking bool
	kick    chan struct{} // wakes the ticker early (buffered)
	yields  atomic.Int64  // yields taken, for tests and stats
	lends   atomic.Int64  // calls run on the lent slot, for tests and stats
}

func newSched(slots int, slice time.Duration) *sched {
	if slots <= 0 {
		slots = max(runtime.GOMAXPROCS(0)-1, 1)
	}
	if slice <= 0 {
		slice = DefaultSlice
	}
	return &sched{slots: slots, slice: slice, ageWait: ageAfterSlices * slice, idlePoll: defaultIdlePoll,
		free: slots, kick: make(chan struct{}, 1), lending: slots < runtime.GOMAXPROCS(0)}
}

// group is the calls of one plugin, for fairness between plugins.
type group struct {
	// Under sched.mu.
	vtime     time.Duration // slot time its calls used, moved up when it wakes
	fresh     []*exec       // waiting, not yielded in this call
	again     []*exec       // waiting, yielded in this call
	lastAgain time.Time     // when a call of again last got a slot
	noLend    time.Time     // its calls are not lent the slot before
	running   int           // its calls holding a slot
	queued    bool          // in sched.waiting
}

// waits reports whether g has calls waiting for a slot.
func (g *group) waits() bool { return len(g.fresh)+len(g.again) > 0 }

// exec states.
const (
	execIdle    = iota // not begun
	execRunning        // holds a slot
	execWaiting        // queued for a slot
	execBlocked        // in a blocking host call, or stopped while waiting: no slot
)

// exec is what the scheduler knows of an instance's call. One per
// instance, reused by its calls (an instance runs one call at a time).
type exec struct {
	s     *sched
	g     *group
	grant chan struct{} // a slot handed to the waiting call (buffered)
	wake  chan struct{} // the call was stopped: waits end (buffered)

	// Set by bind under s.mu, once the instance exists.
	// mem tells whether a yield's grow reaches the allocator. It also
	// keeps a mapped memory mapped (see cappedMemory) for as long as the
	// Instance, whose module's buffer points into it, is reachable.
	in       *Instance
	yielding api.Global // the check's $yielding, read by cappedMemory
	mem      *cappedMemory
	maxMem   uint64 // the memory's maximum in bytes (wazero's)

	// Set by begin on the call's goroutine, read by the ticker under s.mu.
	parent   context.Context
	deadline time.Time // zero: none but parent's

	// Under s.mu.
	state   int
	yielded bool          // queues in again
	lent    bool          // runs on the lent slot
	asked   bool          // a yield is asked and not taken
	since   time.Time     // when it got its slot
	ran     time.Duration // slot time of its slice before since
	queued  time.Time     // when it began to wait
	idx     int           // in s.active

	stop atomic.Pointer[error] // why the call was stopped
}

func (s *sched) newExec(g *group) *exec {
	return &exec{s: s, g: g, grant: make(chan struct{}, 1), wake: make(chan struct{}, 1), idx: -1}
}

// bind attaches the instance ex runs, so that ex can stop it and ask it to
// yield. Before it, ex only holds a slot.
func (ex *exec) bind(in *Instance, mem *cappedMemory, maxMem uint64) {
	y, _ := in.mod.ExportedGlobal(YieldingExport).(api.Global)
	ex.s.mu.Lock()
	ex.in, ex.yielding, ex.mem, ex.maxMem = in, y, mem, maxMem
	ex.s.mu.Unlock()
}

// begin waits for a slot for ex's call (as a fresh call) until ctx ends,
// then starts the call's deadline, timeout from now (none if 0), after
// which the call is stopped, as it is when ctx ends. It returns ctx's cause
// if ctx ended first; then the call has not begun.
func (s *sched) begin(ex *exec, ctx context.Context, timeout time.Duration) error {
	ex.stop.Store(nil)
	select { // a wake of an earlier call, sent as it ended
	case <-ex.wake:
	default:
	}
	ex.parent = ctx
	s.mu.Lock()
	ex.yielded, ex.asked, ex.ran = false, false, 0
	ex.deadline = time.Time{}
	s.wakeGroup(ex.g)
	if s.free > 0 && len(s.waiting) == 0 {
		s.run(ex)
	} else if s.canLend(ex) {
		s.lend(ex)
	} else {
		s.enqueue(ex)
		if !s.await(ex, ctx.Done()) {
			ex.state = execIdle
			s.mu.Unlock()
			return context.Cause(ctx)
		}
	}
	if timeout > 0 {
		ex.deadline = ex.since.Add(timeout)
	}
	ex.idx = len(s.active)
	s.active = append(s.active, ex)
	if !s.ticking {
		s.ticking = true
		go s.tick()
	} else if ex.lent || timeout > 0 && timeout < s.idlePoll {
		s.poke() // a lent call's slice ends before the ticker's idle poll
	}
	s.mu.Unlock()
	return nil
}

// end ends ex's call: its slot goes to the next waiting call. It returns
// why the call was stopped, nil if it was not.
func (s *sched) end(ex *exec) error {
	s.mu.Lock()
	if ex.state == execRunning {
		s.release(ex)
	}
	ex.state = execIdle
	if i := ex.idx; i >= 0 {
		last := len(s.active) - 1
		s.active[i] = s.active[last]
		s.active[i].idx = i
		s.active[last] = nil
		s.active = s.active[:last]
		ex.idx = -1
	}
	asked := ex.asked
	ex.asked = false
	s.mu.Unlock()
	if asked && ex.in != nil {
		ex.in.clearYield() // asked as the call returned: not the next call's
	}
	return ex.stopped()
}

// stopped returns why ex's call was stopped, nil if it was not.
func (ex *exec) stopped() error {
	if p := ex.stop.Load(); p != nil {
		return *p
	}
	return nil
}

// block gives ex's slot up for a blocking host call; unblock takes one
// again after it.
func (ex *exec) block() {
	s := ex.s
	s.mu.Lock()
	if ex.state == execRunning {
		ex.ran += time.Since(ex.since)
		s.release(ex)
		ex.state = execBlocked
	}
	s.mu.Unlock()
}

// unblock waits for a slot after a blocking host call, until the call is
// stopped (then it returns without one, and the guest traps at its next
// check).
func (ex *exec) unblock() {
	s := ex.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ex.state != execBlocked || ex.stopped() != nil {
		return
	}
	// A host call that waited until the deadline (a fetch that never
	// answered) ends the call here, before the guest runs on with its
	// error: the task failed by its deadline, not by what the guest made
	// of the wait.
	if ex.idx >= 0 && s.checkStop(ex, time.Now()) {
		return
	}
	s.wakeGroup(ex.g)
	if s.free > 0 && len(s.waiting) == 0 {
		s.run(ex)
		return
	}
	s.enqueue(ex)
	s.await(ex, ex.parent.Done())
}

// yield is the guest's answer to FlagYield, from the grow its check makes:
// its slot goes to the next waiting call and it queues again.
func (ex *exec) yield() {
	s := ex.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ex.asked = false
	ex.in.clearYield()
	if ex.state != execRunning || ex.stopped() != nil {
		return
	}
	if ex.lent {
		// Its slice on the lent slot is over: it takes its turn, and its
		// plugin's calls are not lent the slot for a while.
		ex.g.noLend = time.Now().Add(lendBan)
	} else if len(s.waiting) == 0 { // they went: run on
		ex.g.vtime += time.Since(ex.since)
		ex.ran, ex.since = 0, time.Now()
		return
	}
	ex.ran = 0
	ex.yielded = true
	s.release(ex)
	if s.free > 0 && len(s.waiting) == 0 { // off the lent slot, onto a free one
		s.run(ex)
		return
	}
	s.yields.Add(1)
	s.enqueue(ex)
	s.await(ex, ex.parent.Done())
}

// unlend gives the lent slot back before a grow of ex's memory that leaves
// no room for a yield's page, as if ex had yielded: it could not be asked
// to once grown.
func (ex *exec) unlend(size uint64) {
	if ex.roomToYield(size) { // the common grow: no lock
		return
	}
	s := ex.s
	s.mu.Lock()
	lent := ex.lent && ex.state == execRunning
	s.mu.Unlock()
	if lent {
		ex.yield()
	}
}

// run gives ex a slot. Under s.mu.
func (s *sched) run(ex *exec) {
	s.free--
	ex.start()
}

// start marks ex running from now, on a slot or the lent slot. Under s.mu.
func (ex *exec) start() {
	ex.state = execRunning
	ex.since = time.Now()
	ex.g.running++
}

// release takes ex, running, off its slot: the lent slot is returned, a
// slot is handed on to the next waiting call. Under s.mu.
func (s *sched) release(ex *exec) {
	s.leave(ex)
	if ex.lent {
		// The lent slot rests as long as it was held: however calls
		// use it (to the end of their slice, short ones back to back,
		// blocking), they take at most half of the engine's core.
		now := time.Now()
		s.lendAt = later(s.lendAt, now.Add(now.Sub(ex.since)))
		ex.lent, s.lent = false, false
		return
	}
	s.handoff()
}

// canLend reports whether ex, a fresh call finding no slot free, may run at
// once on the lent slot: there is one, it is free and not resting, ex's
// group is not barred from it, ex can be asked to yield, no call of its
// group runs, and the groups with calls running or waiting are all charged
// over a slice more than ex's. Under s.mu.
func (s *sched) canLend(ex *exec) bool {
	now := time.Now()
	if !s.lending || s.lent || now.Before(s.lendAt) || now.Before(ex.g.noLend) || !ex.askable() {
		return false
	}
	for _, r := range s.active {
		if r.state == execRunning && (r.g == ex.g || r.g.vtime+now.Sub(r.since) <= ex.g.vtime+s.slice) {
			return false
		}
	}
	for _, o := range s.waiting {
		if o.vtime <= ex.g.vtime+s.slice {
			return false
		}
	}
	return true
}

// lend runs ex on the lent slot, beside the calls holding the slots, until
// the ticker asks it to yield at the end of its slice. Under s.mu.
func (s *sched) lend(ex *exec) {
	s.lent, ex.lent = true, true
	s.lends.Add(1)
	ex.start()
}

// leave charges ex's group for the slot ex leaves and raises the floor.
// Under s.mu.
func (s *sched) leave(ex *exec) {
	g := ex.g
	g.vtime += time.Since(ex.since)
	g.running--
	least, any := s.least()
	if !any { // nothing else runs or waits: the floor follows the last to run
		least = g.vtime
	}
	s.floor = max(s.floor, least)
}

// least returns the least charge among the groups with calls running or
// waiting, false if there are none. Under s.mu.
func (s *sched) least() (least time.Duration, any bool) {
	consider := func(o *group) {
		if !any || o.vtime < least {
			least, any = o.vtime, true
		}
	}
	for _, r := range s.active {
		if r.state == execRunning {
			consider(r.g)
		}
	}
	for _, o := range s.waiting {
		consider(o)
	}
	return least, any
}

// wakeGroup moves g's charge up to ageWait behind the least charged group
// with calls running or waiting (or the floor, if that is higher), if g
// has none: a plugin idle for a while gets a head start over busy ones,
// not the whole time it was idle. Under s.mu.
func (s *sched) wakeGroup(g *group) {
	if g.running > 0 || g.queued {
		return
	}
	base := s.floor
	if least, any := s.least(); any && least > base {
		base = least
	}
	g.vtime = max(g.vtime, base-s.ageWait)
}

// enqueue queues ex for a slot and asks a running call to yield if ex
// should not wait for a slice to end: one of its group that has yielded
// before, if ex is fresh, or else one of a group charged over a slice more
// than ex's. Under s.mu.
func (s *sched) enqueue(ex *exec) {
	if len(s.waiting) == 0 {
		s.poke() // the ticker now asks for yields at the end of slices
	}
	ex.state = execWaiting
	ex.queued = time.Now()
	g := ex.g
	if ex.yielded {
		g.again = append(g.again, ex)
	} else {
		g.fresh = append(g.fresh, ex)
	}
	if !g.queued {
		g.queued = true
		s.waiting = append(s.waiting, g)
	}
	var victim *exec
	var most time.Duration
	now := time.Now()
	for _, r := range s.active {
		if r.state != execRunning || r.asked || r.lent { // a lent call frees no slot
			continue
		}
		if r.g == g {
			if !ex.yielded && r.yielded {
				victim = r
				break
			}
			continue
		}
		if charge := r.g.vtime + now.Sub(r.since); charge > g.vtime+s.slice && charge > most {
			victim, most = r, charge
		}
	}
	if victim != nil {
		s.ask(victim)
	}
}

// await waits, s.mu held, for the slot handoff gives ex, until ex's call is
// stopped or done ends. It returns whether ex got a slot; if not, ex is out
// of the queues and blocked.
func (s *sched) await(ex *exec, done <-chan struct{}) bool {
	s.mu.Unlock()
	select {
	case <-ex.grant:
		s.mu.Lock()
		return true
	case <-ex.wake:
	case <-done:
	}
	s.mu.Lock()
	if ex.state == execRunning { // handed a slot as it gave up
		<-ex.grant
		return true
	}
	g := ex.g
	g.fresh = remove(g.fresh, ex)
	g.again = remove(g.again, ex)
	if !g.waits() {
		s.unqueue(g)
	}
	ex.state = execBlocked
	if ex.idx >= 0 { // begun: its end stops it now, not at the next tick
		s.checkStop(ex, time.Now())
	}
	return false
}

// checkStop stops ex's call if its deadline has passed or its context has
// ended; it returns whether the call is stopped. Under s.mu.
func (s *sched) checkStop(ex *exec, now time.Time) bool {
	if ex.stop.Load() != nil {
		return true
	}
	var cause error
	switch {
	case !ex.deadline.IsZero() && !now.Before(ex.deadline):
		cause = ErrDeadline
	case ex.parent.Err() != nil:
		cause = context.Cause(ex.parent)
	default:
		return false
	}
	s.stopCall(ex, cause)
	return true
}

// stopIfOver stops ex's call if its deadline has passed or its context has
// ended, for a wait that ended with either.
func (ex *exec) stopIfOver() {
	ex.s.mu.Lock()
	if ex.idx >= 0 {
		ex.s.checkStop(ex, time.Now())
	}
	ex.s.mu.Unlock()
}

func remove(q []*exec, ex *exec) []*exec {
	for i, e := range q {
		if e == ex {
			copy(q[i:], q[i+1:])
			q[len(q)-1] = nil
			return q[:len(q)-1]
		}
	}
	return q
}

// handoff gives the slot of a call that leaves it to the next waiting one,
// of the least charged group, or frees it. Under s.mu.
func (s *sched) handoff() {
	s.free++
	if len(s.waiting) == 0 {
		return
	}
	g := s.waiting[0]
	for _, o := range s.waiting[1:] {
		if o.vtime < g.vtime {
			g = o
		}
	}
	var next *exec
	now := time.Now()
	if len(g.again) > 0 && (len(g.fresh) == 0 || now.Sub(later(g.lastAgain, g.again[0].queued)) >= s.ageWait) {
		next = g.again[0]
		g.again[0] = nil
		g.again = g.again[1:]
		g.lastAgain = now
	} else {
		next = g.fresh[0]
		g.fresh[0] = nil
		g.fresh = g.fresh[1:]
	}
	if !g.waits() {
		s.unqueue(g)
	}
	s.run(next)
	next.grant <- struct{}{}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// unqueue takes g, which has no call waiting, out of s.waiting. Under s.mu.
func (s *sched) unqueue(g *group) {
	g.queued = false
	for i, o := range s.waiting {
		if o == g {
			last := len(s.waiting) - 1
			s.waiting[i] = s.waiting[last]
			s.waiting[last] = nil
			s.waiting = s.waiting[:last]
			return
		}
	}
}

// ask asks r's guest to yield at its next check, if its memory can take the
// one-page grow the yield makes (it cannot at its maximum: it then runs on).
// Under s.mu.
func (s *sched) ask(r *exec) {
	if !r.askable() {
		return
	}
	r.asked = true
	r.in.askYield()
}

// askable reports whether ex's guest can yield when asked. Under s.mu.
func (ex *exec) askable() bool {
	return ex.in != nil && ex.mem != nil && ex.yielding != nil && ex.roomToYield(ex.mem.size.Load())
}

// roomToYield reports whether memory of size bytes can take the one-page
// grow a yield makes (bind sets maxMem before any call).
func (ex *exec) roomToYield(size uint64) bool { return size+65536 <= ex.maxMem }

// poke wakes the ticker.
func (s *sched) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// tick stops the calls whose deadline has passed or whose context has
// ended, and asks running calls whose slice is over to yield while others
// wait. It runs while calls are under the scheduler.
func (s *sched) tick() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		if len(s.active) == 0 {
			s.ticking = false
			s.mu.Unlock()
			return
		}
		now := time.Now()
		next := now.Add(s.idlePoll)
		waiting := len(s.waiting) > 0
		for _, ex := range s.active {
			if s.checkStop(ex, now) {
				continue
			}
			if !ex.deadline.IsZero() && ex.deadline.Before(next) {
				next = ex.deadline
			}
			if (waiting || ex.lent) && ex.state == execRunning && !ex.asked {
				end := ex.since.Add(s.slice - ex.ran)
				if !now.Before(end) {
					s.ask(ex)
				} else if end.Before(next) {
					next = end
				}
			}
		}
		s.mu.Unlock()
		t.Reset(next.Sub(now))
		select {
		case <-t.C:
		case <-s.kick:
		}
	}
}

// stopCall stops ex's call: its guest traps at its next check and its waits
// end. Under s.mu.
func (s *sched) stopCall(ex *exec, cause error) {
	ex.stop.Store(&cause)
	if ex.in != nil {
		ex.in.interrupt()
	}
	select {
	case ex.wake <- struct{}{}:
	default:
	}
}
